using Search.Indexing.Embeddings;
using Search.Ranking.Hybrid;
using Search.Segmentation.Analysis;

namespace Search.Ranking.Tests;

public sealed class HybridRetrievalTests : EngineTest
{
    [Fact]
    public void Convex_fusion_z_scores_each_list_and_weights_them()
    {
        // Lexical scores 3, 2, 1 (mean 2, deviation √(2/3)); dense 0.9, 0.5 (mean 0.7, deviation 0.2).
        var lexical = new List<(long, int, double)> { (1, 0, 3), (2, 0, 2), (3, 0, 1) };
        var dense = new List<(long, int, double)> { (3, 0, 0.9), (4, 0, 0.5) };
        var fused = HybridFusion.Convex(lexical, dense, 0.5);
        double sl = Math.Sqrt(2.0 / 3);
        double Z(double l, double d) => 0.5 * (l - 2) / sl + 0.5 * (d - 0.7) / 0.2;
        // Absent from a list: that list's lowest score.
        var expected = new Dictionary<long, double> { [1] = Z(3, 0.5), [2] = Z(2, 0.5), [3] = Z(1, 0.9), [4] = Z(1, 0.5) };
        Assert.Equal(4, fused.Count);
        foreach (var f in fused) Assert.Equal(expected[f.DocumentId], f.Score, 9);
        Assert.Equal(expected.OrderByDescending(e => e.Value).Select(e => e.Key), fused.Select(f => f.DocumentId));
        var three = fused.Single(f => f.DocumentId == 3);
        Assert.Equal((1.0, 3, 0.9, 1), (three.LexicalScore, three.LexicalRank, three.DenseScore, three.DenseRank));
        // A known dense score replaces the fallback.
        var exact = HybridFusion.Convex(lexical, dense, 0.5, (doc, _) => doc == 1 ? 0.7 : double.NaN);
        Assert.Equal(Z(3, 0.7), exact.Single(f => f.DocumentId == 1).Score, 9);
        // Weight 0 is the lexical order; weight 1 the dense order (ties by key).
        Assert.Equal([1L, 2, 3, 4], HybridFusion.Convex(lexical, dense, 0).Take(3).Select(f => f.DocumentId).Append(4));
        Assert.Equal(3, HybridFusion.Convex(lexical, dense, 1)[0].DocumentId);
    }

    [Fact]
    public void The_dense_weight_shrinks_with_the_correlation_of_the_two_sides()
    {
        var options = new HybridOptions(DenseWeight: 0.7, FullAgreement: 0.5, AgreementDepth: 4);
        // Lexical scores 4, 3, 2, 1 then a fifth outside the agreement depth.
        var lexical = new List<(long, int, double)> { (1, 0, 4), (2, 0, 3), (3, 0, 2), (4, 0, 1), (5, 0, 0.5) };
        double Weight(params double[] dense) => HybridRetriever.DenseWeight(lexical, (doc, _) => doc <= dense.Length ? dense[doc - 1] : double.NaN, options);
        // Dense scores in the same order: full weight, whatever the fifth says.
        Assert.Equal(0.7, Weight(0.9, 0.8, 0.7, 0.6, -5), 12);
        // The reverse order: the dense side contradicts the lexical one and gets no weight.
        Assert.Equal(0, Weight(0.6, 0.7, 0.8, 0.9), 12);
        // A partly agreeing dense side: centred, lexical 1.5, 0.5, −0.5, −1.5 and dense 0.05, −0.05, 0.15, −0.15
        // give covariance 0.2 over √(5 · 0.05), a correlation of 0.4, so the weight is 0.7 · 0.4 / 0.5.
        Assert.Equal(0.56, Weight(0.2, 0.1, 0.3, 0.0), 9);
        // Too few lexical candidates, or no spread in their scores: nothing to measure, the full weight applies.
        Assert.Equal(0.7, HybridRetriever.DenseWeight(lexical.Take(2).ToList(), (_, _) => 0.5, options), 12);
        Assert.Equal(0.7, Weight(0.5, 0.5, 0.5, 0.5), 12);
        // Segments without a vector are left out of the measurement.
        Assert.Equal(0.7, Weight(0.9, double.NaN, 0.7, 0.6), 12);
    }

    [Fact]
    public void Neighbour_smoothing_moves_scores_toward_the_nearest_neighbours_and_keeps_the_block_on_top()
    {
        // Four hits in two clusters (unit vectors along x or y); hit 4 has no vector; hit 5 is below the depth.
        var vectors = new Dictionary<long, float[]> { [1] = [1, 0], [2] = [0, 1], [3] = [1, 0], [4] = [] };
        var ranked = new List<FusedHit>();
        double[] scores = [10, 8, 2, 0, -1];
        for (int i = 0; i < scores.Length; i++) ranked.Add(new FusedHit(i + 1, 0, scores[i], 0, 0, 0, 0));
        NeighbourSmoothing.Apply(ranked, depth: 4, neighbours: 1, weight: 0.5, h => vectors.TryGetValue(h.DocumentId, out var v) ? v : default);
        // Scaled over the block (10 → 1, 8 → 0.8, 2 → 0.2, 0 → 0): 1 and 3 are each other's neighbour, so
        // 1 → 0.6 and 3 → 0.6 (score 6); 2 has no positive neighbour (orthogonal to 1 and 3) and keeps 8;
        // 4 has no vector and keeps 0; 5 is untouched below the block.
        var byId = ranked.ToDictionary(h => h.DocumentId, h => h.Score);
        Assert.Equal(8, byId[2], 9);
        Assert.Equal(6, byId[1], 9);
        Assert.Equal(6, byId[3], 9);
        Assert.Equal(0, byId[4], 9);
        Assert.Equal(-1, byId[5], 9);
        // Re-sorted within the block; the tie between 1 and 3 keeps their fused order.
        Assert.Equal([2L, 1, 3, 4, 5], ranked.Select(h => h.DocumentId));
        // Weight 0, or a block without spread, changes nothing.
        var same = ranked.ToList();
        NeighbourSmoothing.Apply(same, depth: 4, neighbours: 1, weight: 0, h => vectors.TryGetValue(h.DocumentId, out var v) ? v : default);
        Assert.Equal(ranked, same);
    }

    [Fact]
    public void Reciprocal_rank_fusion_sums_inverse_ranks()
    {
        var a = new List<(long, int, double)> { (1, 0, 9), (2, 0, 8) };
        var b = new List<(long, int, double)> { (2, 0, 0.9), (3, 0, 0.8) };
        var fused = HybridFusion.ReciprocalRank(a, b);
        Assert.Equal(2, fused[0].DocumentId);
        Assert.Equal(1.0 / 62 + 1.0 / 61, fused[0].Score, 12);
        Assert.Equal(1.0 / 61, fused.Single(f => f.DocumentId == 1).Score, 12);
    }

    [Fact]
    public void The_corpus_embedder_is_deterministic_for_a_seed_groups_topics_and_survives_a_round_trip()
    {
        var texts = TopicCorpus.Texts(3, 30);
        var one = CorpusEmbedderTrainer.Train(texts, new CorpusEmbedderOptions(Dimension: 8, Seed: 7), Analyzer.English);
        var two = CorpusEmbedderTrainer.Train(texts, new CorpusEmbedderOptions(Dimension: 8, Seed: 7), Analyzer.English);
        Assert.Equal(one.Embed("gearbox bearing failure"), two.Embed("gearbox bearing failure"));
        // Same topic, no shared word: closer than another topic.
        float Cos(string x, string y) => System.Numerics.Tensors.TensorPrimitives.Dot(one.Embed(x), one.Embed(y));
        Assert.True(Cos("gearbox rotor", "blade generator") > Cos("gearbox rotor", "plover beach") + 0.3f);
        // A word the collection never saw still gets a vector near its relatives (sub-words of "turbines").
        Assert.True(Cos("turbinez", "turbine generator") > 0.5f, "unseen word");
        Assert.All(one.Embed("qqqq zzzz"), v => Assert.Equal(0f, v));

        using var stream = new MemoryStream();
        one.Save(stream);
        var bytes = stream.ToArray();
        var loaded = CorpusEmbedder.Load(new MemoryStream(bytes), Analyzer.English);
        Assert.Equal(one.Embed("refund invoice turbinez"), loaded.Embed("refund invoice turbinez"));
        bytes[bytes.Length / 2] ^= 0x40;
        Assert.Throws<InvalidDataException>(() => CorpusEmbedder.Load(new MemoryStream(bytes), Analyzer.English));
        Assert.Throws<InvalidDataException>(() => CorpusEmbedder.Load(new MemoryStream(bytes[..10]), Analyzer.English));
    }

    [Fact]
    public void Randomized_svd_matches_the_exact_spectrum_of_a_low_rank_matrix()
    {
        // A 40 × 30 matrix of rank 3 with known singular values 5, 3, 1 (orthonormal factors from Gram–Schmidt).
        var rng = new Random(11);
        double[][] Orthonormal(int n, int k)
        {
            var cols = new double[k][];
            for (int c = 0; c < k; c++)
            {
                var v = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
                for (int p = 0; p < c; p++)
                {
                    double dot = v.Zip(cols[p]).Sum(t => t.First * t.Second);
                    for (int i = 0; i < n; i++) v[i] -= dot * cols[p][i];
                }
                double norm = Math.Sqrt(v.Sum(x => x * x));
                cols[c] = v.Select(x => x / norm).ToArray();
            }
            return cols;
        }
        var u = Orthonormal(40, 3);
        var w = Orthonormal(30, 3);
        double[] sigma = [5, 3, 1];
        var rows = new List<RandomizedSvd.SparseRow>();
        for (int r = 0; r < 40; r++)
        {
            var values = new float[30];
            for (int c = 0; c < 30; c++) values[c] = (float)(sigma[0] * u[0][r] * w[0][c] + sigma[1] * u[1][r] * w[1][c] + sigma[2] * u[2][r] * w[2][c]);
            rows.Add(new RandomizedSvd.SparseRow(Enumerable.Range(0, 30).ToArray(), values));
        }
        var (right, singular) = RandomizedSvd.Compute(rows, 30, 3, seed: 1);
        Assert.Equal(5, singular[0], 3);
        Assert.Equal(3, singular[1], 3);
        Assert.Equal(1, singular[2], 3);
        for (int k = 0; k < 3; k++)
        {
            double dot = Enumerable.Range(0, 30).Sum(c => right[c * 3 + k] * w[k][c]);
            Assert.Equal(1, Math.Abs(dot), 3); // the same direction up to sign
        }
    }

    [Fact]
    public async Task Dense_situated_and_hybrid_modes_answer_through_the_service_with_component_scores()
    {
        var texts = TopicCorpus.Texts(5, 8);
        for (int i = 0; i < texts.Count; i++) await TestDocuments.AddAsync(Engine, "d" + i, texts[i]);
        foreach (var mode in new[] { SearchModes.Dense, SearchModes.Situated, SearchModes.Hybrid })
        {
            var response = await SearchAsync(new SearchRequest("plover nesting", K: 5, Mode: mode));
            Assert.Equal(5, response.Hits.Count);
            // Every hit is about shorebirds (documents 8–15), and the scores descend.
            Assert.All(response.Hits, h => Assert.InRange(int.Parse(h.DocumentId[1..]), 8, 15));
            Assert.Equal(response.Hits.Select(h => h.Score).OrderDescending(), response.Hits.Select(h => h.Score));
            if (mode == SearchModes.Hybrid)
                Assert.All(response.Hits, h => Assert.True(h.Components.ContainsKey("dense") && h.Components.ContainsKey("dense_rank") && h.Components.ContainsKey("bm25_rank") && h.Components["dense_weight"] is >= 0 and <= 0.7));
            else Assert.All(response.Hits, h => Assert.True(h.Components.ContainsKey(mode)));
        }
        // A query with a word no document has still finds its topic densely ("sandpipers" shares sub-words with nothing; "migrations" with "migration").
        var unseen = await Engine.Search.SearchAsync("c", new SearchRequest("migrations", K: 3, Mode: SearchModes.Dense));
        Assert.NotEmpty(unseen.Hits);
        Assert.All(unseen.Hits, h => Assert.InRange(int.Parse(h.DocumentId[1..]), 8, 15));
        await Assert.ThrowsAsync<ArgumentException>(() => Engine.Search.SearchAsync("c", new SearchRequest("x", Mode: "sparse")));
    }

    [Fact]
    public async Task Dense_vectors_survive_a_restart_and_a_damaged_file_is_relearned()
    {
        var texts = TopicCorpus.Texts(9, 6);
        for (int i = 0; i < texts.Count; i++) await TestDocuments.AddAsync(Engine, "d" + i, texts[i]);
        var request = new SearchRequest("glacier melting", K: 5, Mode: SearchModes.Situated);
        var before = await SearchAsync(request);
        var learned = await DenseAsync();
        Assert.False(learned.LoadedFromDisk);
        string file = Path.Combine(await ServingAsync(g => g.Directory!), "dense", "dense.bin");
        await Engine.DisposeAsync();

        Engine = await OpenAsync();
        var loaded = await ServingAsync(g => g.Dense)!;
        Assert.True(loaded!.LoadedFromDisk, "the vectors were read back, not relearned");
        Assert.Equal(learned.Count, loaded.Count);
        var after = await Engine.Search.SearchAsync("c", request);
        Assert.Equal(before.Hits.Select(h => (h.DocumentId, h.Score)), after.Hits.Select(h => (h.DocumentId, h.Score)));
        await Engine.DisposeAsync();

        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 3] ^= 0x10;
        File.WriteAllBytes(file, bytes);
        Engine = await OpenAsync();
        // Opening found the damage: until the pipeline relearns, a dense search says so instead of failing.
        Assert.Null(await ServingAsync(g => g.Dense));
        Assert.NotEmpty((await Engine.Search.SearchAsync("c", request)).Warnings);
        var relearned = await DenseAsync();
        Assert.False(relearned.LoadedFromDisk);
        Assert.Equal(before.Hits.Select(h => h.DocumentId), (await Engine.Search.SearchAsync("c", request)).Hits.Select(h => h.DocumentId));
    }
}
