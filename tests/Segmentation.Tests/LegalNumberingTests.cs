using Search.Segmentation.Structure;

namespace Search.Segmentation.Tests;

public class LegalNumberingTests
{
    [Theory]
    [InlineData("ARTICLE IV – TERMINATION", "ARTICLE IV", 1, "")]
    [InlineData("Article 12. Miscellaneous", "Article 12", 1, "Miscellaneous")]
    [InlineData("Section 2.1 Termination. Either party may end this Agreement.", "Section 2.1", 2, "Termination")]
    [InlineData("§ 5. Notices: All notices shall be in writing.", "§ 5", 2, "Notices")]
    [InlineData("1. Definitions", "1", 2, "Definitions")]
    [InlineData("4.2 Limitation of Liability. In no event shall", "4.2", 3, "Limitation of Liability")]
    [InlineData("4.2.1 The Customer shall pay the Fees.", "4.2.1", 4, "")]
    [InlineData("2.1(a) the Customer breaches clause 3;", "2.1(a)", 5, "")]
    [InlineData("(a) the Customer fails to pay;", "(a)", 5, "")]
    [InlineData("(iii) any other event;", "(iii)", 6, "")]
    public void Labels_carry_their_depth_and_a_short_title(string paragraph, string label, int level, string title)
    {
        var parsed = LegalNumbering.Parse(paragraph);
        Assert.NotNull(parsed);
        Assert.Equal((label, level, title), (parsed.Label, parsed.Level, parsed.Title));
    }

    [Theory]
    [InlineData("12 apples were delivered.")]
    [InlineData("The Agreement continues.")]
    [InlineData("2024 was a good year.")]
    public void Ordinary_sentences_are_not_labels(string paragraph) => Assert.Null(LegalNumbering.Parse(paragraph));

    [Fact]
    public void A_letter_i_after_h_is_a_letter_not_a_roman_numeral()
    {
        Assert.Equal(5, LegalNumbering.Parse("(i) the ninth item;", previousLetter: "h")!.Level);
        Assert.Equal(6, LegalNumbering.Parse("(i) the first sub-item;", previousLetter: "a")!.Level);
    }

    [Fact]
    public void Legal_text_is_told_from_prose()
    {
        string[] contract = ["1. Definitions", "1.1 In this Agreement the following terms apply.", "2. Term", "2.1 This Agreement starts on the Effective Date.", "3. Fees", "3.1 The Customer shall pay the Fees."];
        Assert.True(LegalNumbering.LooksLegal(contract));
        string judgment = string.Join(' ', Enumerable.Repeat("The appellant contends that the High Court erred; the respondent submits that the judgment of the tribunal is sound and the court shall dismiss the appeal.", 12));
        Assert.True(LegalNumbering.LooksLegal([judgment]));
        string report = string.Join(' ', Enumerable.Repeat("Our wind turbines produced more electricity this year than last, and the battery helped us sell it when prices were high.", 12));
        Assert.False(LegalNumbering.LooksLegal([report, "Wind output rose by a third.", "Members met twice."]));
    }
}
