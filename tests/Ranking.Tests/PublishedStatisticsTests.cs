using System.Text.Json;
using Search.Indexing.Extraction;
using Search.Indexing.Statistics;
using Search.Segmentation.Analysis;

namespace Search.Ranking.Tests;

/// <summary>
/// The statistics a collection's pipeline publishes — word frequencies and word classes (of its learned embedder, or
/// of an LSA learned for them when a model embeds) — and what ingestion makes of them: topic classes for segmentation, collection-weighted chapter titles.
/// </summary>
public sealed class PublishedStatisticsTests : EngineTest
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_published_word_classes_follow_the_collections_topics_whether_it_learns_its_embedder_or_a_model_embeds(bool model)
    {
        if (model)
        {
            // A model has no word vectors of the collection's: the statistics learn an LSA of the collection for its classes.
            await Engine.DisposeAsync();
            Engine = await SearchEngine.OpenAsync(OnDemand(Dir.Path) with { EmbeddingModel = new HashEmbedder(), DefaultEmbedder = null });
        }
        var published = new PublishedStatistics(Engine.Store, Analyzer.English);
        Assert.Null(await published.GetAsync("c", default));
        // Eighty documents, each drawing 60 words from one of four topics of 200 words.
        var topics = new string[4][];
        for (int t = 0; t < 4; t++) topics[t] = Enumerable.Range(0, 200).Select(i => $"subject{(char)('a' + t)}term{(char)('a' + i / 26)}{(char)('a' + i % 26)}").ToArray();
        var rng = new Random(3);
        for (int d = 0; d < 80; d++)
            await TestDocuments.AddAsync(Engine, "d" + d, string.Join(' ', Enumerable.Range(0, 60).Select(_ => topics[d % 4][rng.Next(200)])) + ".");
        // Storing documents publishes nothing: the pipeline does, once it has indexed them.
        Assert.Null(await published.GetAsync("c", default));

        await IndexAsync();
        var statistics = await published.GetAsync("c", default);
        Assert.NotNull(statistics);
        var classes = statistics.WordClasses;
        Assert.NotNull(classes);
        var dense = await Engine.Indexes.DenseStatusAsync("c", default);
        Assert.Equal((classes.Count, model ? "model:hash" : "corpus"), (dense.WordClasses, dense.Embedder));
        Assert.Equal(80, statistics.Segments);
        Assert.InRange(statistics.SegmentFrequency(topics[0][0]), 1, 20);

        // Most words sit in a class led by their own topic.
        var perClass = new Dictionary<int, int[]>();
        int classed = 0;
        for (int t = 0; t < 4; t++)
            foreach (var word in topics[t])
            {
                string term = "";
                Analyzer.English.Analyze(word, s => term = s.ToString());
                if (!classes.TryGetClass(term, out int c)) continue;
                if (!perClass.TryGetValue(c, out var counts)) perClass[c] = counts = new int[4];
                counts[t]++;
                classed++;
            }
        Assert.True(classed > 400, $"{classed} words classed");
        int inMajority = perClass.Values.Sum(counts => counts.Max());
        Assert.True(inMajority >= 0.9 * classed, $"only {inMajority} of {classed} words are in a class of their own topic");

        // Nothing new is published while the collection barely changes.
        var version = await Engine.Store.GetStatisticsVersionAsync("c");
        await TestDocuments.AddAsync(Engine, "one-more", "subjectaterma.");
        await IndexAsync();
        Assert.Equal(version, await Engine.Store.GetStatisticsVersionAsync("c"));
    }

    // An episode that opens with the sponsor read every episode of the show has, then its own topic.
    private static string Episode(string id) => JsonSerializer.Serialize(new
    {
        id,
        title = "Episode " + id,
        turns = new[]
        {
            new { start = 0.0, end = 5.0, speaker = "Host", text = "Thanks to our sponsor Acme Mattress for supporting the show." },
            new { start = 5.0, end = 9.0, speaker = "Host", text = "Go to the website of our sponsor Acme Mattress today." },
            new { start = 9.0, end = 12.0, speaker = "Host", text = "Once more, our sponsor Acme Mattress." },
            new { start = 12.0, end = 20.0, speaker = "Guest", text = "Today the lunar rover wheels keep cracking on the regolith." },
            new { start = 20.0, end = 28.0, speaker = "Guest", text = "Engineers redesigned the lunar rover wheels with titanium springs." },
        },
    });

    private async Task<string> ChapterTitleAsync(string id)
    {
        await Engine.Ingestion.IngestJsonAsync("c", JsonDocumentReader.Parse(Episode(id), id, id), explicitId: true);
        var doc = await Engine.Store.GetDocumentAsync("c", id);
        var segments = await Engine.Store.GetSegmentsAsync([doc!.Id]);
        return Assert.Single(segments.Select(s => s.Segment.Chapter!.Title).Distinct());
    }

    [Fact]
    public async Task Once_the_collection_has_published_statistics_its_common_words_stop_leading_chapter_titles()
    {
        // Without statistics the most repeated phrase leads.
        Assert.StartsWith("Sponsor acme mattress", await ChapterTitleAsync("first"), StringComparison.Ordinal);
        // Sixty earlier episodes of the show, each with the sponsor read and a different topic.
        for (int i = 0; i < 60; i++)
            await TestDocuments.AddAsync(Engine, "old" + i, $"Thanks to our sponsor Acme Mattress. Episode {i} is about topic{i} and subject{i}.");
        Assert.StartsWith("Sponsor acme mattress", await ChapterTitleAsync("stored"), StringComparison.Ordinal);
        await IndexAsync();
        Assert.StartsWith("Lunar rover wheels", await ChapterTitleAsync("latest"), StringComparison.Ordinal);
    }
}
