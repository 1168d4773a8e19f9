using Search.Segmentation.Analysis;

namespace Search.Ranking.Tests;

/// <summary>Ingestion's topic segmentation gets its word classes from the collection's learned embedder.</summary>
public sealed class CollectionWordClassTests : EngineTest
{
    [Fact]
    public async Task The_collections_learned_embedder_gives_ingestion_word_classes_that_follow_its_topics()
    {
        Assert.Null(Engine.Indexes.LoadedTermStatistics("c")?.WordClasses);
        // Eighty documents, each drawing 60 words from one of four topics of 200 words.
        var topics = new string[4][];
        for (int t = 0; t < 4; t++) topics[t] = Enumerable.Range(0, 200).Select(i => $"subject{(char)('a' + t)}term{(char)('a' + i / 26)}{(char)('a' + i % 26)}").ToArray();
        var rng = new Random(3);
        for (int d = 0; d < 80; d++)
            await TestDocuments.AddAsync(Engine, "d" + d, string.Join(' ', Enumerable.Range(0, 60).Select(_ => topics[d % 4][rng.Next(200)])) + ".");

        var dense = await Engine.Indexes.GetDenseAsync("c", await Engine.Indexes.GetCurrentAsync("c", default), default);
        var statistics = Engine.Indexes.LoadedTermStatistics("c");
        Assert.NotNull(statistics);
        // Classes are learned in the background once asked for; ingestion goes without them meanwhile.
        WordClasses? classes = null;
        for (int wait = 0; wait < 1200 && (classes = statistics.WordClasses) is null; wait++) await Task.Delay(50);
        Assert.NotNull(classes);
        Assert.Same(classes, dense.Embedder.WordClasses);
        Assert.Equal(classes.Count, (await Engine.Indexes.DenseStatusAsync("c", default)).WordClasses);

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
    }
}
