using Search.Indexing.Dense;
using Search.Indexing.Embeddings;
using Search.TestSupport;

using static Search.Ranking.Tests.TopicCorpus;

namespace Search.Ranking.Tests;

/// <summary>Dense vectors made by a model the deployment configured, instead of the collection-learned embedder.</summary>
public sealed class ConfiguredModelDenseTests : IDisposable
{
    private static readonly string TinyBert = Path.Combine(RepoPaths.Root, "tests", "Models.Tests", "Fixtures", "tiny-bert");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<SearchEngine> OpenAsync(bool withModel) =>
        SearchEngine.OpenAsync(EngineTest.OnDemand(_dir.Path) with { EmbeddingModelPath = withModel ? TinyBert : null, DefaultEmbedder = withModel ? null : "corpus" });

    private static async Task<DenseCollectionIndex> DenseAsync(SearchEngine engine)
    {
        await engine.Indexes.CatchUpAsync("c", default);
        var generation = await engine.Indexes.AcquireAsync("c", default);
        try { return generation.Dense!; }
        finally { generation.Release(); }
    }

    [Fact]
    public async Task The_model_embeds_segments_and_queries_and_its_vectors_are_kept_only_for_it()
    {
        var rng = new Random(5);
        await using (var engine = await OpenAsync(withModel: true))
        {
            await engine.Store.CreateCollectionAsync("c");
            for (int i = 0; i < 8; i++) await TestDocuments.AddAsync(engine, "d" + i, Text(rng, i % 4));
            await engine.Indexes.CatchUpAsync("c", default);
            var hits = (await engine.Search.SearchAsync("c", new SearchRequest("gearbox rotor", K: 3, Mode: SearchModes.Hybrid))).Hits;
            Assert.Equal(3, hits.Count);
            var status = await engine.Indexes.DenseStatusAsync("c", default);
            Assert.Equal(("model:tiny-bert", 32, 8, false), (status.Embedder, status.Dimension, status.Segments, status.LoadedFromDisk));

            // A segment's plain vector is the model's embedding of its text, unit length.
            var dense = await DenseAsync(engine);
            var stored = await engine.Store.GetDocumentAsync("c", "d3");
            var segment = (await engine.Store.GetSegmentsAsync([stored!.Id]))[0].Segment;
            using var model = TransformerEmbeddingGenerator.Load(TinyBert);
            float[] expected = (await model.GenerateAsync([segment.Text]))[0].Vector.ToArray();
            float[] actual = dense.Vector(stored.Id, segment.Ordinal, situated: false).ToArray();
            for (int d = 0; d < expected.Length; d++) Assert.Equal(expected[d], actual[d], 1e-5);

            // Writes are embedded by the model; nothing is ever relearned, however much changes.
            for (int i = 8; i < 20; i++) await TestDocuments.AddAsync(engine, "d" + i, Text(rng, i % 4));
            Assert.Equal(20, (await DenseAsync(engine)).Count);
            Assert.False((await engine.Indexes.DenseStatusAsync("c", default)).Relearning);
        }
        await using (var engine = await OpenAsync(withModel: true))
        {
            var status = await engine.Indexes.DenseStatusAsync("c", default);
            Assert.Equal(("model:tiny-bert", 20, true), (status.Embedder, status.Segments, status.LoadedFromDisk));
        }
        // Without the model the saved vectors mean nothing: the collection's own embedder is learned instead.
        await using (var engine = await OpenAsync(withModel: false))
        {
            await DenseAsync(engine);
            var status = await engine.Indexes.DenseStatusAsync("c", default);
            Assert.Equal((DenseEmbedder.CorpusName, 20, false), (status.Embedder, status.Segments, status.LoadedFromDisk));
            Assert.NotEqual(32, status.Dimension);
        }
    }
}
