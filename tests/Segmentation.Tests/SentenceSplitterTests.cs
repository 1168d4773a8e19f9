using Search.Segmentation.Structure;

namespace Search.Segmentation.Tests;

public class SentenceSplitterTests
{
    [Theory]
    // Legal abbreviations, statute citations and numbered references do not end sentences.
    [InlineData("Sec. 4(a) of the Act applies to the lessee. The court held otherwise.", new[] { "Sec. 4(a) of the Act applies to the lessee.", "The court held otherwise." })]
    [InlineData("The claim arises under 42 U.S.C. § 1983. The plaintiff sued.", new[] { "The claim arises under 42 U.S.C. § 1983.", "The plaintiff sued." })]
    [InlineData("See Smith v. Jones, 123 F.3d 456 (9th Cir. 1999). Both parties appealed.", new[] { "See Smith v. Jones, 123 F.3d 456 (9th Cir. 1999).", "Both parties appealed." })]
    [InlineData("The appellant relied on Art. 21 and No. 7 of the list. It failed.", new[] { "The appellant relied on Art. 21 and No. 7 of the list.", "It failed." })]
    [InlineData("Mr. Smith of Acme Inc. was present, e.g. at the hearing. He left.", new[] { "Mr. Smith of Acme Inc. was present, e.g. at the hearing.", "He left." })]
    [InlineData("Judgment by J. K. Rowling J. was delivered. Appeal dismissed.", new[] { "Judgment by J. K. Rowling J. was delivered.", "Appeal dismissed." })]
    // Numbered list items: the label is not a sentence.
    [InlineData("1. Definitions apply here. 2. Payment is due monthly.", new[] { "1. Definitions apply here.", "2. Payment is due monthly." })]
    [InlineData("(iv). The licence ends. (v). Fees are kept.", new[] { "(iv). The licence ends.", "(v). Fees are kept." })]
    // Transcripts: short turns, questions, exclamations, stage directions, trailing quotes.
    [InlineData("Okay. So, next item? Yeah! [laughter] Right.", new[] { "Okay.", "So, next item?", "Yeah!", "[laughter] Right." })]
    [InlineData("He said \"stop.\" Then he left.", new[] { "He said \"stop.\"", "Then he left." })]
    // Prose: decimals, an ellipsis, no final stop.
    [InlineData("Growth was 3.5 percent in 2024. Costs fell... Margins rose", new[] { "Growth was 3.5 percent in 2024.", "Costs fell...", "Margins rose" })]
    public void Splits_where_a_reader_would(string text, string[] expected) => Assert.Equal(expected, SentenceSplitter.Split(text));

    [Fact]
    public void Text_without_punctuation_or_with_only_white_space_is_one_or_no_sentence()
    {
        Assert.Single(SentenceSplitter.Split(string.Join(' ', Enumerable.Repeat("word", 5000))));
        Assert.Empty(SentenceSplitter.Split("   \n  "));
        Assert.Empty(SentenceSplitter.Ends("."));
    }
}
