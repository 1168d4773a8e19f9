using Search.Indexing.Pipeline;
using Search.Segmentation;

namespace Search.Indexing.Tests;

public sealed class IndexedFormsTests
{
    [Fact]
    public void A_transcripts_annotations_are_not_indexed_and_the_stored_text_keeps_them()
    {
        const string said = "PhD D: So the {disfmarker} the battery {vocalsound} lasts a year .\n\nGrad C: [laughter] Yeah .";
        var turn = new Segment(0, said, 0, said.Length, "", 12.5, 30, "PhD D", new Chapter(0, "Battery", 0, 60));
        Assert.Equal("PhD D: So the the battery lasts a year .\n\nGrad C: Yeah .", IndexedForms.Text(turn));
        Assert.Equal(said, turn.Text);

        // Outside transcripts, braces and brackets are the document's own text.
        const string clause = "Section 4 [reserved] applies to {party} names as written.";
        var section = new Segment(0, clause, 0, clause.Length, "Terms > Section 4", null, null, null);
        Assert.Equal(clause, IndexedForms.Text(section));
    }
}
