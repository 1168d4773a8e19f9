using Search.Ranking.Answers;

namespace Search.Ranking.Tests;

public sealed class AnswerFinderTests
{
    // Analysed query terms (stemmed, as the lexical index keeps them) with their idf.
    private static readonly Dictionary<string, double> Battery = new() { ["batteri"] = 3.0, ["remot"] = 1.5, ["charg"] = 2.0 };

    [Fact]
    public void In_a_transcript_the_answer_is_the_run_of_turns_that_talk_about_the_query()
    {
        string[] turns =
        [
            "Project Manager: Okay , let's start with the agenda for today .",
            "Marketing: The battery of the remote should last a whole year .",
            "Industrial Designer: And a charging dock could charge the battery overnight .",
            "User Interface: Mm - hmm .",
            "Project Manager: Right , next is the budget for the casing .",
        ];
        string text = string.Join("\n\n", turns);
        var answer = new AnswerFinder(Battery).Find(text);
        Assert.NotNull(answer);
        Assert.Equal(text.IndexOf("Marketing", StringComparison.Ordinal), answer.Start);
        Assert.Equal(text.IndexOf("overnight .", StringComparison.Ordinal) + "overnight .".Length, answer.End);
    }

    [Fact]
    public void In_one_paragraph_the_answer_is_a_run_of_sentences()
    {
        const string text = "The agreement starts on signing. Refunds are due within thirty days of termination. Refunds after termination for breach are not due. Notices go to the address above.";
        var answer = new AnswerFinder(new Dictionary<string, double> { ["refund"] = 2.5, ["termin"] = 1.2 }).Find(text);
        Assert.NotNull(answer);
        Assert.Equal("Refunds are due within thirty days of termination. Refunds after termination for breach are not due.", text[answer.Start..answer.End]);
    }

    [Theory]
    [InlineData("Nothing here is about the query.\n\nNor is anything here.")]        // no query term
    [InlineData("The battery lasts a year.")]                                        // one unit
    [InlineData("The battery lasts.\n\nThe battery fades.")]                          // every unit alike
    [InlineData("")]
    public void Without_a_unit_that_stands_out_there_is_no_answer_span(string text) =>
        Assert.Null(new AnswerFinder(Battery).Find(text));

    [Fact]
    public void A_query_without_terms_finds_no_answer() =>
        Assert.Null(new AnswerFinder(new Dictionary<string, double>()).Find("Marketing: the battery.\n\nDesigner: the remote."));
}
