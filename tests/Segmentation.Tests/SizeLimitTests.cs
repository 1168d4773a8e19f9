using System.Text;

namespace Search.Segmentation.Tests;

/// <summary>The hard size limits hold through the whole ingestion segmenter on adversarial and random input.</summary>
public class SizeLimitTests
{
    private static readonly SegmenterOptions Defaults = new();

    private static void AssertWithinLimits(ExtractedDocument doc, IReadOnlyList<Segment> segments)
    {
        string text = DocumentText.Compose(doc.Blocks, out _);
        int previousEnd = 0;
        foreach (var s in segments)
        {
            Assert.InRange(Tokens.Count(s.Text), 1, Defaults.MaxTokens);
            Assert.True(s.Text.Length <= Defaults.MaxTokens * (Tokens.MaxTokenChars + 1), $"segment {s.Ordinal} has {s.Text.Length} characters");
            Assert.Equal(text[s.StartChar..s.EndChar], s.Text);
            Assert.True(s.StartChar >= previousEnd);
            previousEnd = s.EndChar;
        }
        // Nothing is lost: the body's non-space characters appear in order in the segments (which add only the headings of empty sections).
        string Squeeze(string x) => new(x.Where(c => !char.IsWhiteSpace(c)).ToArray());
        string body = Squeeze(string.Concat(doc.Blocks.Where(b => b.Kind != BlockKind.Heading).Select(b => b.RenderedText)));
        string covered = Squeeze(string.Concat(segments.Select(s => s.Text)));
        int k = 0;
        foreach (char c in covered)
            if (k < body.Length && body[k] == c) k++;
        Assert.True(k == body.Length, $"body text lost after character {k} of {body.Length}");
    }

    private static ExtractedDocument Doc(params TextBlock[] blocks) => new("t", "text/plain", DocumentKind.Prose, blocks);

    [Fact]
    public void One_sentence_of_two_hundred_thousand_characters_is_cut_between_tokens()
    {
        var sb = new StringBuilder();
        for (int i = 0; sb.Length < 200_000; i++) sb.Append("lorem").Append(i % 97).Append(' ');
        var doc = Doc(new TextBlock(BlockKind.Paragraph, sb.ToString().TrimEnd(), []));
        var segments = new TopicalSegmenter().Segment(doc);
        AssertWithinLimits(doc, segments);
        // Balanced cuts: no trailing fragment under the minimum.
        Assert.All(segments, s => Assert.True(Tokens.Count(s.Text) >= Defaults.MinTokens));
    }

    [Fact]
    public void Text_without_any_white_space_is_cut_every_sixty_four_characters_at_most()
    {
        var doc = Doc(new TextBlock(BlockKind.Paragraph, new string('x', 200_000), []));
        var segments = new TopicalSegmenter().Segment(doc);
        AssertWithinLimits(doc, segments);
        Assert.Equal(200_000, segments.Sum(s => s.Text.Length));
        Assert.Equal((int)Math.Ceiling(200_000.0 / Tokens.MaxTokenChars), segments.Sum(s => Tokens.Count(s.Text)));
    }

    [Fact]
    public void Only_headings_and_empty_sections_give_findable_segments_within_limits()
    {
        var blocks = new List<TextBlock>();
        for (int i = 0; i < 50; i++) blocks.Add(new TextBlock(BlockKind.Heading, $"Heading {i} " + new string('h', i * 40), [$"Heading {i}"], 1));
        var headingsOnly = Doc([.. blocks]);
        var segments = new TopicalSegmenter().Segment(headingsOnly);
        Assert.Equal(50, segments.Count);
        Assert.All(segments, s => Assert.InRange(Tokens.Count(s.Text), 1, Defaults.MaxTokens));

        var empty = Doc(
            new TextBlock(BlockKind.Heading, "A", ["A"], 1), new TextBlock(BlockKind.Paragraph, "", ["A"]),
            new TextBlock(BlockKind.Heading, "B", ["B"], 1), new TextBlock(BlockKind.Paragraph, "   \n ", ["B"]),
            new TextBlock(BlockKind.Heading, "C", ["C"], 1), new TextBlock(BlockKind.Paragraph, "Some text under C.", ["C"]));
        var parts = new TopicalSegmenter().Segment(empty);
        Assert.Equal(["A", "B", "C"], parts.Select(p => p.SectionPath));
        Assert.Equal("Some text under C.", parts[^1].Text);
    }

    [Fact]
    public void Random_documents_keep_the_limits_and_pieces_under_the_minimum_only_where_a_neighbour_cannot_take_them()
    {
        var rng = new Random(20261129);
        for (int trial = 0; trial < 200; trial++)
        {
            var blocks = new List<TextBlock>();
            string[] path = [];
            int n = rng.Next(1, 40);
            for (int b = 0; b < n; b++)
            {
                if (rng.Next(8) == 0)
                {
                    path = ["Part " + rng.Next(1000)];
                    blocks.Add(new TextBlock(BlockKind.Heading, path[0], path, 1));
                    continue;
                }
                int words = rng.Next(12) == 0 ? rng.Next(300, 2000) : rng.Next(1, 120);
                var sb = new StringBuilder();
                for (int w = 0; w < words; w++)
                {
                    sb.Append(rng.Next(30) == 0 ? new string('z', rng.Next(60, 300)) : "w" + rng.Next(500));
                    sb.Append(rng.Next(10) == 0 ? ". " : " ");
                }
                blocks.Add(new TextBlock(BlockKind.Paragraph, sb.ToString().Trim(), path));
            }
            var doc = Doc([.. blocks]);
            var segments = new StructuralSegmenter().Segment(doc);
            AssertWithinLimits(doc, segments);
            for (int i = 0; i < segments.Count; i++)
            {
                int size = Tokens.Count(segments[i].Text);
                if (size >= Defaults.MinTokens) continue;
                foreach (int j in new[] { i - 1, i + 1 })
                {
                    if (j < 0 || j >= segments.Count || segments[j].SectionPath != segments[i].SectionPath) continue;
                    Assert.True(size + Tokens.Count(segments[j].Text) > Defaults.MaxTokens,
                        $"trial {trial}: segment {i} ({size} tokens) could have joined segment {j}");
                }
            }
        }
    }
}
