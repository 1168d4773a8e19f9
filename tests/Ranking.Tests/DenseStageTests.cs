using Search.Indexing.Dense;
using Search.Indexing.Embeddings;

using static Search.Ranking.Tests.TopicCorpus;

namespace Search.Ranking.Tests;

/// <summary>The dense stage after learning: incremental embedding of writes, relearning, restart, reindex, and the approximate index of large collections.</summary>
public sealed class DenseStageTests : EngineTest
{
    /// <summary>Documents d0…d23: six per topic, topic = index / 6.</summary>
    private async Task AddCorpusAsync(int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < 24; i++) await TestDocuments.AddAsync(Engine, "d" + i, Text(rng, i / 6));
    }

    private async Task<List<string>> DenseHitsAsync(string query, int k) =>
        (await SearchAsync(new SearchRequest(query, K: k, Mode: SearchModes.Dense))).Hits.Select(h => h.DocumentId).ToList();

    [Fact]
    public async Task Writes_after_learning_are_embedded_with_the_learned_model_without_relearning()
    {
        await AddCorpusAsync(1);
        var learned = await DenseAsync();
        Assert.Equal(24, learned.LearnedSegments);
        long d0 = (await Engine.Store.GetDocumentAsync("c", "d0"))!.Id;
        var d0Vector = learned.Vector(d0, 0, situated: false).ToArray();

        // An added document is found by its topic; the model and the other vectors are untouched.
        await TestDocuments.AddAsync(Engine, "new", Text(new Random(7), 1));
        Assert.Contains("new", (await DenseHitsAsync("plover sanderling nesting", 7)));
        var after = await DenseAsync();
        Assert.Same(learned, after);
        Assert.Equal(1, after.SegmentsEmbeddedSinceLearning);
        Assert.Equal(25, after.Count);
        Assert.Equal(d0Vector, after.Vector(d0, 0, situated: false).ToArray());

        // A changed document moves to its new topic (d8 was about shorebirds).
        Assert.DoesNotContain("d8", await DenseHitsAsync("glacier ice melting", 7));
        await TestDocuments.AddAsync(Engine, "d8", Text(new Random(8), 3));
        Assert.Contains("d8", await DenseHitsAsync("glacier ice melting", 7));
        Assert.Equal(25, (await DenseAsync()).Count);

        // A deleted document leaves the vectors.
        Assert.NotNull(await Engine.Store.DeleteDocumentAsync("c", "d0"));
        Assert.DoesNotContain("d0", await DenseHitsAsync("wind turbine gearbox", 30));
        Assert.Equal(24, (await DenseAsync()).Count);
        Assert.True((await DenseAsync()).Vector(d0, 0, situated: false).IsEmpty);
    }

    [Fact]
    public async Task Changes_beyond_a_quarter_of_the_learned_collection_relearn_the_embedder()
    {
        await AddCorpusAsync(2);
        var learned = await DenseAsync();
        var rng = new Random(3);
        for (int i = 0; i < 6; i++) await TestDocuments.AddAsync(Engine, "more" + i, Text(rng, i % 4));
        // Six new segments are exactly a quarter: still served by the learned model.
        Assert.Same(learned, await DenseAsync());

        await TestDocuments.AddAsync(Engine, "more6", Text(rng, 2));
        var relearned = await DenseAsync();
        Assert.NotSame(learned, relearned);
        Assert.Equal(31, relearned.LearnedSegments);
        Assert.Equal(0, relearned.SegmentsEmbeddedSinceLearning);
        Assert.Contains("more6", await DenseHitsAsync("subscription refund invoice", 8));
        // A relearned embedder has new word classes: the statistics are published anew for it.
        var published = await Engine.Store.GetStatisticsAsync("c");
        Assert.Equal(relearned.EmbedderTag, published!.Embedder);
    }

    [Fact]
    public async Task A_restart_reads_the_saved_vectors_and_applies_only_later_writes()
    {
        await AddCorpusAsync(4);
        await DenseAsync();
        await TestDocuments.AddAsync(Engine, "before-restart", Text(new Random(5), 0));
        var before = await DenseAsync();
        Assert.Equal(1, before.SegmentsEmbeddedSinceLearning);
        Assert.Equal(before.Sequence, before.SavedSequence); // every step is a checkpoint here
        await Engine.DisposeAsync();

        Engine = await OpenAsync();
        var loaded = (await ServingAsync(g => g.Dense))!;
        Assert.True(loaded.LoadedFromDisk);
        Assert.Equal(25, loaded.Count);
        Assert.Equal(1, loaded.SegmentsEmbeddedSinceLearning);
        await TestDocuments.AddAsync(Engine, "after-restart", Text(new Random(6), 0));
        var caughtUp = await DenseAsync();
        Assert.Same(loaded, caughtUp);
        Assert.Equal(26, caughtUp.Count);
        var hits = await DenseHitsAsync("turbine gearbox rotor", 8);
        Assert.Contains("before-restart", hits);
        Assert.Contains("after-restart", hits);
    }

    [Fact]
    public async Task A_reindex_relearns_the_dense_index_and_saves_it_in_the_new_generation()
    {
        await AddCorpusAsync(9);
        var learned = await DenseAsync();
        await TestDocuments.AddAsync(Engine, "late", Text(new Random(10), 3));
        Assert.Equal(1, (await DenseAsync()).SegmentsEmbeddedSinceLearning);

        var (_, completion) = await Engine.Indexes.StartReindexAsync("c", CancellationToken.None);
        await completion;
        var relearned = await DenseAsync();
        Assert.NotSame(learned, relearned);
        Assert.Equal(25, relearned.LearnedSegments);
        Assert.Equal(0, relearned.SegmentsEmbeddedSinceLearning);
        Assert.True(File.Exists(Path.Combine(await ServingAsync(g => g.Directory!), "dense", "dense.bin")));
        Assert.Contains("late", await DenseHitsAsync("glacier ice sheet", 7));
    }

    [Fact]
    public void A_large_collection_is_searched_through_faiss_hnsw_with_the_same_neighbours_as_exact_search()
    {
        var segments = TopicCorpus.Segments(11, documents: 120, perDocument: 3);
        var options = new CorpusEmbedderOptions(Dimension: 16);
        using var approximate = DenseCollectionIndex.Build(segments, 1, options, approximateFrom: 300);
        using var exact = DenseCollectionIndex.Build(segments, 1, options, approximateFrom: int.MaxValue);
        Assert.Equal("HNSW32,Flat", approximate.VectorIndexSpec);
        Assert.Equal("exact", exact.VectorIndexSpec);

        int agree = 0;
        for (int i = 0; i < segments.Count; i += 7)
        {
            var query = exact.Vector(segments[i].DocumentId, segments[i].Ordinal, situated: false).ToArray();
            var a = approximate.Search(query, 10, situated: false).Select(h => (h.DocumentId, h.Ordinal)).ToHashSet();
            var e = exact.Search(query, 10, situated: false).Select(h => (h.DocumentId, h.Ordinal)).ToList();
            agree += e.Count(a.Contains);
        }
        Assert.True(agree >= 0.95 * 10 * ((segments.Count + 6) / 7), $"recall@10 of HNSW against exact search: {agree} of {10 * ((segments.Count + 6) / 7)}");
        // A candidate list deeper than efSearch (hybrid reads 1,000) is still filled.
        Assert.Equal(250, approximate.Search(exact.Vector(0, 0, false).ToArray(), 250, situated: false).Count);

        // Updates reach the approximate index too: a removed document is never returned.
        approximate.Update([5], [], 2);
        var probe = exact.Vector(5, 0, situated: false).ToArray();
        Assert.DoesNotContain(approximate.Search(probe, 50, situated: false), h => h.DocumentId == 5);
        Assert.Equal(357, approximate.Count);
    }

    [Fact]
    public void An_approximate_index_is_saved_with_its_graph_keeps_its_slots_and_a_damaged_graph_is_rebuilt_from_the_vectors()
    {
        var segments = TopicCorpus.Segments(12, documents: 100, perDocument: 2);
        var rng = new Random(12);
        using var built = DenseCollectionIndex.Build(segments, 5, new CorpusEmbedderOptions(Dimension: 16), approximateFrom: 100);
        // A removal then an addition leaves a reused slot behind: the saved graph must still agree with the keys.
        built.Update([3, 4], [new DenseSegment(4, 0, "Title 4", "", Text(rng, 2))], 6);
        var probe = built.Vector(10, 1, situated: true).ToArray();
        var expected = built.Search(probe, 20, situated: true);
        string generation = Path.Combine(Dir.Path, "generation");
        Directory.CreateDirectory(generation);
        built.Save(generation, Core.IO.DiskFileSystem.Instance);
        var graphs = Directory.GetFiles(Path.Combine(generation, "dense"), "*.vec");
        Assert.Equal(2, graphs.Length);

        using (var loaded = DenseCollectionIndex.TryLoad(generation, 6, approximateFrom: 100)!)
        {
            Assert.Equal("HNSW32,Flat", loaded.VectorIndexSpec);
            Assert.Equal(197, loaded.Count);
            Assert.Equal(expected, loaded.Search(probe, 20, situated: true));
            Assert.True(loaded.Vector(3, 0, situated: false).IsEmpty);
            // The loaded index takes updates into the slots it restored as free.
            loaded.Update([3], [new DenseSegment(3, 0, "Title 3", "", Text(rng, 1))], 7);
            Assert.Equal(198, loaded.Count);
            Assert.Contains(loaded.Search(loaded.Vector(3, 0, situated: false).ToArray(), 5, situated: false), h => h.DocumentId == 3);
        }

        // A graph file that cannot be read costs a rebuild from the checksummed vectors, not the index.
        var bytes = File.ReadAllBytes(graphs[0]);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(graphs[0], bytes);
        using var rebuilt = DenseCollectionIndex.TryLoad(generation, 6, approximateFrom: 100)!;
        Assert.Equal(197, rebuilt.Count);
        Assert.Equal(expected.Select(h => (h.DocumentId, h.Ordinal)).Take(5), rebuilt.Search(probe, 20, situated: true).Select(h => (h.DocumentId, h.Ordinal)).Take(5));
        // A saved index ahead of the store (its changes were lost with the store) is not used.
        Assert.Null(DenseCollectionIndex.TryLoad(generation, 5, approximateFrom: 100));
    }
}
