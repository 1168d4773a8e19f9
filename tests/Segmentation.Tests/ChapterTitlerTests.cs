using Search.Segmentation.Analysis;
using Search.Segmentation.Topics;

namespace Search.Segmentation.Tests;

public sealed class ChapterTitlerTests
{
    /// <summary>Word counts of a made-up collection of 1,000 segments.</summary>
    private sealed class Collection(Dictionary<string, long> frequencies, int segments = 1000) : ITermStatistics
    {
        public int Segments => segments;
        public long SegmentFrequency(string word) => frequencies.GetValueOrDefault(word);
    }

    // A podcast chapter: a sponsor read the show repeats in every episode, then the chapter's own topic.
    private static readonly IReadOnlyList<IReadOnlyList<string>> Episode =
    [
        [
            "Thanks to our sponsor Acme Mattress for supporting the show.",
            "Go to the website of our sponsor Acme Mattress today.",
            "Once more, our sponsor Acme Mattress.",
            "Today the lunar rover wheels keep cracking on the regolith.",
            "Engineers redesigned the lunar rover wheels with titanium springs.",
        ],
        [
            "Now the mailbag, where listeners ask about telescope mirrors.",
            "One listener grinds telescope mirrors at home in the garage.",
            "Grinding telescope mirrors takes patience and fine abrasive grit.",
        ],
    ];

    [Fact]
    public void Without_collection_statistics_the_most_repeated_phrase_leads()
    {
        var titles = ChapterTitler.Titles(Episode);
        Assert.StartsWith("Sponsor acme mattress", titles[0], StringComparison.Ordinal);
        Assert.Equal("Telescope mirrors", titles[1]);
    }

    [Fact]
    public void A_phrase_common_across_the_collection_gives_way_to_the_chapters_own_topic()
    {
        // The sponsor words are in most of the collection's segments; the rest are rare.
        var collection = new Collection(new() { ["sponsor"] = 900, ["acme"] = 950, ["mattress"] = 900, ["show"] = 990, ["lunar"] = 3, ["rover"] = 4, ["wheels"] = 12 });
        var titles = ChapterTitler.Titles(Episode, collection);
        Assert.StartsWith("Lunar rover wheels", titles[0], StringComparison.Ordinal);
        Assert.Equal("Telescope mirrors", titles[1]);
        // A collection too small to say what is common changes nothing.
        Assert.Equal(ChapterTitler.Titles(Episode), ChapterTitler.Titles(Episode, new Collection(new() { ["sponsor"] = 30, ["acme"] = 30, ["mattress"] = 30 }, segments: 30)));
    }

    [Fact]
    public void A_transcribers_annotations_never_make_a_title()
    {
        // Meeting transcripts mark hesitations and noises in every other line; the chapter's topic is the remote's battery.
        IReadOnlyList<IReadOnlyList<string>> meeting =
        [
            [
                "So the {disfmarker} the battery {vocalsound} of the remote {disfmarker} lasts a year.",
                "{vocalsound} The battery of the remote {disfmarker} is rechargeable {pause} now.",
                "And the {disfmarker} battery {vocalsound} charger [laughter] sits on the table.",
            ],
            [
                "The {disfmarker} budget {vocalsound} for the {disfmarker} casing is twelve euros.",
                "{pause} Twelve euros {disfmarker} for the casing budget {vocalsound} then.",
            ],
        ];
        var titles = ChapterTitler.Titles(meeting);
        foreach (string title in titles)
            foreach (string word in new[] { "disfmarker", "vocalsound", "pause", "laughter" })
                Assert.DoesNotContain(word, title, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("battery", titles[0], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("budget", titles[1], StringComparison.OrdinalIgnoreCase);
    }
}
