namespace Search.Segmentation.Tests;

public class TopicalSegmenterTests
{
    private static readonly string[][] Topics =
    [
        ["The turbine gearbox failed after the bearing wore out.", "Engineers replaced the gearbox bearing and the turbine restarted.", "Wind turbine output rose once the gearbox was repaired.", "The turbine blades and gearbox were inspected for wear."],
        ["Plovers feed on the beach at low tide.", "The ringed plover nests on shingle beaches.", "A plover runs, stops and pecks along the tide line.", "Beach nesting plovers need quiet shingle."],
        ["The refund policy covers annual subscription plans.", "A refund is issued within thirty days of the subscription purchase.", "Annual plans cancelled late receive no refund.", "Subscription fees are refunded to the original payment method."],
    ];

    [Fact]
    public void Segments_of_a_transcript_never_span_a_topic_change()
    {
        var blocks = new List<TextBlock>();
        double t = 0;
        foreach (var topic in Topics)
            foreach (var line in topic)
            {
                blocks.Add(new TextBlock(BlockKind.Cue, line, [], 0, t, t + 5, "Ann"));
                t += 5;
            }
        var doc = new ExtractedDocument("call", "text/vtt", DocumentKind.Prose, blocks);
        var segments = new TopicalSegmenter().Segment(doc);
        // Without topics the structural segmenter packs all twelve short cues into one segment.
        Assert.Single(new StructuralSegmenter().Segment(doc));
        Assert.Equal(3, segments.Count);
        Assert.Equal([0.0, 20.0, 40.0], segments.Select(s => s.StartSeconds!.Value));
        Assert.Contains("gearbox", segments[0].Text, StringComparison.Ordinal);
        Assert.Contains("plover", segments[1].Text, StringComparison.Ordinal);
        Assert.Contains("refund", segments[2].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_topic_change_inside_a_paragraph_longer_than_a_segment_is_where_it_is_cut()
    {
        // Two huge paragraphs (a flattened page, a book chapter): the first turns from turbines to plovers
        // after 9 sentences (about 95 tokens), the second is about refunds. Maximum 60 tokens a segment.
        var rng = new Random(5);
        string Sentences(int topic, int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => Topics[topic][rng.Next(4)]));
        string turbines = Sentences(0, 9), plovers = Sentences(1, 9);
        var blocks = new List<TextBlock>
        {
            new(BlockKind.Paragraph, turbines + " " + plovers, []),
            new(BlockKind.Paragraph, Sentences(2, 12), []),
        };
        var doc = new ExtractedDocument("book", "text/plain", DocumentKind.Prose, blocks);
        var options = new SegmenterOptions(TargetTokens: 40, MaxTokens: 60, MinTokens: 10);
        var segments = new TopicalSegmenter(options).Segment(doc);
        // Size limits alone cut the first paragraph into balanced halves, one of which straddles the change.
        Assert.Contains(new StructuralSegmenter(options).Segment(doc), s => s.Text.Contains("turbine", StringComparison.Ordinal) && s.Text.Contains("plover", StringComparison.Ordinal));
        Assert.DoesNotContain(segments, s => s.Text.Contains("gearbox", StringComparison.Ordinal) && s.Text.Contains("plover", StringComparison.Ordinal));
        Assert.Contains(segments, s => s.StartChar == turbines.Length + 1);
        Assert.All(segments, s => Assert.InRange(Tokens.Count(s.Text), 1, options.MaxTokens));
    }

    [Fact]
    public void Sections_and_size_limits_still_hold()
    {
        var rng = new Random(3);
        var options = new SegmenterOptions(TargetTokens: 30, MaxTokens: 60);
        for (int trial = 0; trial < 100; trial++)
        {
            var blocks = new List<TextBlock>();
            string[] path = [];
            for (int b = 0; b < rng.Next(1, 40); b++)
            {
                if (rng.Next(8) == 0)
                {
                    path = ["S" + rng.Next(4)];
                    blocks.Add(new TextBlock(BlockKind.Heading, path[0], path, 1));
                    continue;
                }
                var topic = Topics[rng.Next(Topics.Length)];
                int repeat = rng.Next(10) == 0 ? 30 : 1;
                blocks.Add(new TextBlock(BlockKind.Paragraph, string.Join(' ', Enumerable.Repeat(topic[rng.Next(topic.Length)], repeat)), path));
            }
            var doc = new ExtractedDocument("t", "text/plain", DocumentKind.Prose, blocks);
            string text = DocumentText.Compose(blocks, out _);
            var segments = new TopicalSegmenter(options).Segment(doc);
            foreach (var s in segments)
            {
                Assert.InRange(Tokens.Count(s.Text), 1, options.MaxTokens);
                Assert.Equal(text[s.StartChar..s.EndChar], s.Text);
            }
            int content = blocks.Where(b => b.Kind != BlockKind.Heading).Sum(b => Tokens.Count(b.Text));
            Assert.InRange(segments.Sum(s => Tokens.Count(s.Text)), content, content + blocks.Where(b => b.Kind == BlockKind.Heading).Sum(b => Tokens.Count(b.Text)));
        }
    }

    [Fact]
    public void Transcript_topics_become_titled_chapters_with_monotone_times()
    {
        string[][] vocab =
        [
            ["gearbox", "turbine", "bearing", "blades", "maintenance", "engineers"],
            ["plover", "shingle", "nesting", "tideline", "beach", "birds"],
            ["refund", "subscription", "invoice", "payment", "billing", "customers"],
        ];
        string[] filler = ["yeah", "okay", "so", "um", "you", "know", "I", "think", "the", "and", "we", "like", "really"];
        var rng = new Random(7);
        var blocks = new List<TextBlock>();
        double t = 12.5;
        foreach (var topic in vocab)
            for (int cue = 0; cue < 40; cue++)
            {
                var words = new List<string>();
                for (int w = 0; w < 14; w++) words.Add(rng.Next(3) == 0 ? topic[rng.Next(topic.Length)] : filler[rng.Next(filler.Length)]);
                double length = 2 + rng.NextDouble() * 4;
                blocks.Add(new TextBlock(BlockKind.Cue, string.Join(' ', words) + ".", [], 0, t, t + length, rng.Next(2) == 0 ? "Ann" : "Bob"));
                t += length;
            }
        var doc = new ExtractedDocument("episode", "text/vtt", DocumentKind.Transcript, blocks);
        var segments = new TopicalSegmenter().Segment(doc);

        var chapters = segments.Select(s => s.Chapter!).DistinctBy(c => c.Ordinal).ToList();
        Assert.Equal(3, chapters.Count);
        Assert.Equal([0, 1, 2], chapters.Select(c => c.Ordinal));
        Assert.Equal(12.5, chapters[0].StartSeconds);
        for (int c = 0; c < chapters.Count; c++)
        {
            var chapter = chapters[c];
            Assert.True(chapter.StartSeconds < chapter.EndSeconds);
            if (c > 0) Assert.True(chapters[c - 1].EndSeconds <= chapter.StartSeconds, "chapters overlap");
            // A readable title of 2–6 words, made of the chapter's own topic words and no filler.
            var titleWords = chapter.Title.ToLowerInvariant().Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
            Assert.InRange(titleWords.Length, 2, 6);
            Assert.All(titleWords, w => Assert.Contains(w, vocab[c]));
        }
        // Every segment lies inside its chapter, in time order.
        double previous = 0;
        foreach (var s in segments)
        {
            Assert.InRange(s.StartSeconds!.Value, s.Chapter!.StartSeconds!.Value, s.Chapter.EndSeconds!.Value);
            Assert.InRange(s.EndSeconds!.Value, s.StartSeconds.Value, s.Chapter.EndSeconds!.Value);
            Assert.True(s.StartSeconds >= previous);
            previous = s.StartSeconds.Value;
        }
    }
}
