using Search.Segmentation.Analysis;
using Search.Segmentation.Topics;

namespace Search.Segmentation.Tests;

/// <summary>Topic segmentation that counts each word's class as well as the word: cohesion without repetition.</summary>
public class WordClassSegmentationTests
{
    // Two topics told without repeating a content word: only knowing which words go together joins them.
    private static readonly string[] Space =
    [
        "The rover crossed the crater.", "Its wheels gripped the regolith.", "A lander waited near the ridge.",
        "Astronauts sampled lunar basalt.", "The orbiter relayed telemetry.", "Engineers steered toward the highlands.",
    ];
    private static readonly string[] Music =
    [
        "The violinist tuned her instrument.", "A cellist rehearsed the sonata.", "The conductor raised his baton.",
        "Orchestras performed a symphony.", "The pianist practised scales.", "Choirs sang the chorale.",
    ];

    private static WordClasses ClassesOf(params string[][] topics)
    {
        var classOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int t = 0; t < topics.Length; t++)
            foreach (var unit in topics[t])
                Analyzer.English.Analyze(unit, term => classOf[term.ToString()] = t);
        return new WordClasses(classOf, topics.Length);
    }

    [Fact]
    public void Word_classes_find_a_topic_change_that_no_repeated_word_shows()
    {
        var units = Space.Concat(Music).ToList();
        var options = DescriptionLengthOptions.ForKind(DocumentKind.Prose);
        // Without classes, chance repetitions decide, and the change between the topics is missed.
        Assert.DoesNotContain(Space.Length, new DescriptionLengthSegmenter(Analyzer.English, options).Boundaries(units));
        Assert.Equal([Space.Length], new DescriptionLengthSegmenter(Analyzer.English, options, ClassesOf(Space, Music)).Boundaries(units));
        // Classes that group the units differently move the boundaries with them.
        var halves = ClassesOf(Space.Take(3).Concat(Music.Take(3)).ToArray(), Space.Skip(3).Concat(Music.Skip(3)).ToArray());
        Assert.Equal([3, 6, 9], new DescriptionLengthSegmenter(Analyzer.English, options, halves).Boundaries(units));
    }

    private sealed class Collection(WordClasses classes) : ITermStatistics
    {
        public int Segments => 1000;
        public long SegmentFrequency(string word) => 10;
        public WordClasses? WordClasses => classes;
    }

    [Fact]
    public void Ingestion_segmentation_uses_the_collections_word_classes()
    {
        // Paragraphs as blocks, one section: topics are found between blocks, and segments never span a topic change.
        var blocks = Space.Concat(Music).Select(t => new TextBlock(BlockKind.Paragraph, t, [])).ToList();
        var document = new ExtractedDocument("Notes", "text/plain", DocumentKind.Prose, blocks);
        var segmenter = new TopicalSegmenter();
        static bool SplitAtTheTopicChange(IReadOnlyList<Segment> segments) => segments.Count == 2
            && segments[0].Text.StartsWith("The rover", StringComparison.Ordinal) && segments[0].Text.EndsWith("highlands.", StringComparison.Ordinal)
            && segments[1].Text.StartsWith("The violinist", StringComparison.Ordinal) && segments[1].Text.EndsWith("chorale.", StringComparison.Ordinal);
        Assert.False(SplitAtTheTopicChange(segmenter.Segment(document)));
        Assert.True(SplitAtTheTopicChange(segmenter.Segment(document, new Collection(ClassesOf(Space, Music)))));
    }

    [Fact]
    public void A_class_outside_the_declared_range_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WordClasses(new Dictionary<string, int> { ["rover"] = 2 }, 2));
        var classes = new WordClasses(new Dictionary<string, int> { ["rover"] = 1 }, 2);
        Assert.True(classes.TryGetClass("rover", out int c));
        Assert.Equal(1, c);
        Assert.False(classes.TryGetClass("violin", out _));
    }
}
