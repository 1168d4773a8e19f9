using System.Text;

namespace Search.Segmentation.Tests;

public class StructuralSegmenterTests
{
    private static readonly SegmenterOptions Small = new(TargetTokens: 20, MaxTokens: 40);

    private static TextBlock Para(string text, params string[] path) => new(BlockKind.Paragraph, text, path);

    private static string Words(Random rng, int n, bool sentences = true)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append('w').Append(rng.Next(1000));
            if (sentences && rng.Next(9) == 0) sb.Append('.');
        }
        return sb.ToString();
    }

    private static void AssertInvariants(ExtractedDocument doc, IReadOnlyList<Segment> segments, SegmenterOptions options)
    {
        string text = DocumentText.Compose(doc.Blocks, out _);
        int previousEnd = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            Assert.Equal(i, s.Ordinal);
            Assert.InRange(Tokens.Count(s.Text), 1, options.MaxTokens);
            Assert.Equal(text[s.StartChar..s.EndChar], s.Text);
            Assert.True(s.StartChar >= previousEnd, $"segment {i} overlaps the previous one");
            previousEnd = s.EndChar;
        }
    }

    [Fact]
    public void Random_documents_never_exceed_the_maximum_and_keep_every_content_token()
    {
        var rng = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            var blocks = new List<TextBlock>();
            int n = rng.Next(1, 30);
            string[] path = [];
            for (int b = 0; b < n; b++)
            {
                if (rng.Next(6) == 0)
                {
                    path = ["Part " + rng.Next(5)];
                    blocks.Add(new TextBlock(BlockKind.Heading, path[0], path, 1));
                    continue;
                }
                int len = rng.Next(10) == 0 ? rng.Next(41, 400) : rng.Next(0, 35);
                blocks.Add(Para(Words(rng, len, sentences: rng.Next(2) == 0), path));
            }
            var doc = new ExtractedDocument("t", "text/plain", DocumentKind.Prose, blocks);
            var segments = new StructuralSegmenter(Small).Segment(doc);
            AssertInvariants(doc, segments, Small);
            int contentTokens = blocks.Where(b => b.Kind != BlockKind.Heading).Sum(b => Tokens.Count(b.Text));
            int segmentTokens = segments.Sum(s => Tokens.Count(s.Text));
            int headingTokens = blocks.Where(b => b.Kind == BlockKind.Heading).Sum(b => Tokens.Count(b.Text));
            Assert.InRange(segmentTokens, contentTokens, contentTokens + headingTokens);
        }
    }

    [Fact]
    public void A_200000_character_sentence_is_cut_into_pieces_within_the_limit()
    {
        var rng = new Random(7);
        var sb = new StringBuilder();
        while (sb.Length < 200_000) sb.Append("lorem").Append(rng.Next(100)).Append(' ');
        var doc = new ExtractedDocument("long", "text/plain", DocumentKind.Prose, [Para(sb.ToString().Trim())]);
        var options = new SegmenterOptions();
        var segments = new StructuralSegmenter(options).Segment(doc);
        AssertInvariants(doc, segments, options);
        Assert.True(segments.Count > 50);
        Assert.Equal(Tokens.Count(sb.ToString()), segments.Sum(s => Tokens.Count(s.Text)));
    }

    [Fact]
    public void Long_blocks_are_cut_after_a_sentence_end_when_there_is_one()
    {
        // A sentence starts with a capital: a full stop before a lower-case word is an abbreviation or a number, not an end.
        string sentence = "Word " + string.Join(' ', Enumerable.Repeat("word", 28)) + " end.";
        var doc = new ExtractedDocument("t", "text/plain", DocumentKind.Prose, [Para(string.Join(' ', Enumerable.Repeat(sentence, 5)))]);
        var segments = new StructuralSegmenter(new SegmenterOptions(20, 40)).Segment(doc);
        Assert.All(segments, s => Assert.EndsWith("end.", s.Text, StringComparison.Ordinal));
        Assert.Equal(5, segments.Count);
    }

    [Fact]
    public void Only_headings_still_yield_findable_segments()
    {
        var blocks = new List<TextBlock>
        {
            new(BlockKind.Heading, "Article I", ["Article I"], 1),
            new(BlockKind.Heading, "Article II", ["Article II"], 1),
            new(BlockKind.Heading, "Section 2.1", ["Article II", "Section 2.1"], 2),
        };
        var segments = new StructuralSegmenter().Segment(new ExtractedDocument("t", "text/plain", DocumentKind.Legal, blocks));
        Assert.Equal(["Article I", "Article II", "Section 2.1"], segments.Select(s => s.Text));
        Assert.Equal("Article II > Section 2.1", segments[2].SectionPath);
    }

    [Fact]
    public void Empty_sections_and_empty_blocks_produce_no_empty_segments()
    {
        var blocks = new List<TextBlock>
        {
            Para(""), Para("   "),
            new(BlockKind.Heading, "Intro", ["Intro"], 1),
            Para("Some intro text.", "Intro"),
            new(BlockKind.Heading, "Empty", ["Empty"], 1),
            new(BlockKind.Heading, "Body", ["Body"], 1),
            Para("Body text here.", "Body"),
        };
        var segments = new StructuralSegmenter().Segment(new ExtractedDocument("t", "text/plain", DocumentKind.Prose, blocks));
        Assert.Equal(["Some intro text.", "Empty", "Body text here."], segments.Select(s => s.Text));
        Assert.Equal(["Intro", "Empty", "Body"], segments.Select(s => s.SectionPath));
    }

    [Fact]
    public void A_new_section_starts_a_new_segment_even_below_the_target()
    {
        var blocks = new List<TextBlock> { Para("alpha beta", "A"), Para("gamma delta", "A"), Para("epsilon", "B") };
        var segments = new StructuralSegmenter().Segment(new ExtractedDocument("t", "text/plain", DocumentKind.Prose, blocks));
        Assert.Equal(2, segments.Count);
        Assert.Equal("alpha beta\n\ngamma delta", segments[0].Text);
        Assert.Equal("B", segments[1].SectionPath);
    }

    [Fact]
    public void Transcript_segments_keep_monotone_times_within_their_cues_and_the_speaker()
    {
        var rng = new Random(99);
        var blocks = new List<TextBlock>();
        double t = 0;
        for (int i = 0; i < 200; i++)
        {
            double len = 1 + rng.NextDouble() * 10;
            int words = rng.Next(20) == 0 ? 150 : rng.Next(1, 15);
            blocks.Add(new TextBlock(BlockKind.Cue, Words(rng, words), [], 0, t, t + len, i % 3 == 0 ? "Ann" : "Bob"));
            t += len;
        }
        var doc = new ExtractedDocument("t", "text/vtt", DocumentKind.Transcript, blocks);
        var segments = new StructuralSegmenter(Small).Segment(doc);
        AssertInvariants(doc, segments, Small);
        double last = 0;
        foreach (var s in segments)
        {
            Assert.NotNull(s.StartSeconds);
            Assert.NotNull(s.EndSeconds);
            Assert.True(s.StartSeconds >= last - 1e-9, "start times go backwards");
            Assert.True(s.EndSeconds >= s.StartSeconds);
            last = s.StartSeconds!.Value;
        }
        Assert.Equal(0, segments[0].StartSeconds);
        Assert.Equal(t, segments[^1].EndSeconds!.Value, 6);
        Assert.Contains(segments, s => s.Speaker == "Bob");
        Assert.StartsWith("Ann: ", segments[0].Text, StringComparison.Ordinal); // the body shows who speaks
    }

    [Fact]
    public void Options_reject_impossible_limits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StructuralSegmenter(new SegmenterOptions(500, 400)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StructuralSegmenter(new SegmenterOptions(1, 2)));
    }
}
