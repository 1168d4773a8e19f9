using Search.Segmentation.Analysis;

namespace Search.Segmentation.Tests;

public class AnalyzerTests
{
    [Fact]
    public void Lowercases_removes_stop_words_and_stems()
    {
        Assert.Equal(["connect", "network", "run", "fast"], Analyzer.English.Analyze("The CONNECTED networks are running fast"));
    }

    [Fact]
    public void Splits_on_punctuation_and_keeps_numbers()
    {
        Assert.Equal(["section", "4", "a", "usc", "1983", "eg", "end"], new Analyzer(new HashSet<string>(), stem: false).Analyze("Section 4(a)... U.S.C.-1983, e.g. end."));
    }

    [Fact]
    public void Unicode_letters_and_marks_stay_inside_words()
    {
        var terms = new Analyzer(new HashSet<string>(), stem: false).Analyze("Café NAÏVE straße Ελληνικά 東京 e\u0301t\u00e9");
        Assert.Equal(["café", "naïve", "straße", "ελληνικά", "東京", "e\u0301té"], terms);
    }

    [Fact]
    public void Possessives_and_contractions_keep_the_word()
    {
        Assert.Equal(["john", "book", "dont"], new Analyzer(new HashSet<string>(), stem: true).Analyze("John's book, don't"));
        Assert.Equal(["dog", "bark"], Analyzer.English.Analyze("the dogs’ barking"));
    }

    [Fact]
    public void Empty_and_symbol_only_text_has_no_terms()
    {
        Assert.Empty(Analyzer.English.Analyze(""));
        Assert.Empty(Analyzer.English.Analyze("  --- ... !!! "));
        Assert.Empty(Analyzer.English.Analyze("the of and"));
    }

    [Fact]
    public void Unpaired_surrogates_do_not_break_tokenization()
    {
        var terms = Analyzer.English.Analyze("alpha\uD800beta");
        Assert.Equal(["alpha", "beta"], terms);
    }
}
