using Search.Segmentation.Analysis;

namespace Search.Segmentation.Tests;

public sealed class NonSpeechAnnotationsTests
{
    [Theory]
    [InlineData("{disfmarker}", true)]
    [InlineData("[laughter]", true)]
    [InlineData("[cross-talk]", true)]
    [InlineData("{non_vocal sound}", true)]
    [InlineData("[1]", false)]                 // a reference or clause number is content
    [InlineData("{x}", true)]
    [InlineData("{}", false)]
    [InlineData("{name)", false)]
    [InlineData("[see section 4]", false)]     // digits: editorial content, not a tag
    [InlineData("{a very long annotation that is really a sentence}", false)]
    [InlineData("disfmarker", false)]
    public void Annotations_are_whole_bracketed_words(string token, bool expected) =>
        Assert.Equal(expected, NonSpeechAnnotations.IsAnnotation(token));

    [Theory]
    [InlineData("Did {disfmarker} did it {disfmarker} ?", "Did did it ?")]
    [InlineData("{vocalsound} Okay , so [laughter] we start .", "Okay , so we start .")]
    [InlineData("Grad C: Yeah {pause}\nPhD D: {gap} No .", "Grad C: Yeah\nPhD D: No .")]
    [InlineData("Clause [1] and {name) stay", "Clause [1] and {name) stay")]
    [InlineData("{disfmarker}", "")]
    [InlineData("a {vocalsound}b and c{pause} d", "a b and c d")]
    [InlineData("unclosed {brace and [bracket", "unclosed {brace and [bracket")]
    public void Stripping_drops_the_annotations_and_the_space_they_leave(string text, string expected) =>
        Assert.Equal(expected, NonSpeechAnnotations.Strip(text));

    [Fact]
    public void Text_without_annotations_is_returned_as_it_is()
    {
        const string text = "No tags here, only words and a clause [2].";
        Assert.Same(text, NonSpeechAnnotations.Strip(text));
    }
}
