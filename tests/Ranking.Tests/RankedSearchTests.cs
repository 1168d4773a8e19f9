using Search.Ranking.Reranking;

namespace Search.Ranking.Tests;

/// <summary>Ranked searches: the hybrid candidates re-scored by a ranker, and the hybrid order kept (and said) when the ranker fails, is too slow or is absent.</summary>
public sealed class RankedSearchTests : EngineTest
{
    /// <summary>Ranks by a chosen feature of <see cref="RankerFeatures"/>, or fails, or never answers.</summary>
    private sealed class TestRanker(Func<RankerQuery, IReadOnlyList<RankerCandidate>, double[]> score, int depth = 20) : IRanker
    {
        public string Name => "test";
        public int Depth => depth;
        public List<IReadOnlyList<RankerCandidate>> Seen { get; } = [];

        public ValueTask<double[]> ScoreAsync(RankerQuery query, IReadOnlyList<RankerCandidate> candidates, CancellationToken ct)
        {
            Seen.Add(candidates);
            return ValueTask.FromResult(score(query, candidates));
        }
    }

    private sealed class BlockedRanker : IRanker
    {
        public string Name => "blocked";
        public int Depth => 20;
        public async ValueTask<double[]> ScoreAsync(RankerQuery query, IReadOnlyList<RankerCandidate> candidates, CancellationToken ct)
        {
            await Task.Delay(Timeout.Infinite, ct); // never answers unless cancelled: the service's timeout must fire
            return [];
        }
    }

    /// <summary>Reopens the engine with <paramref name="ranker"/>; <paramref name="shippedRanker"/> null keeps the engine's default.</summary>
    private async Task<SearchEngine> ReopenWithAsync(IRanker? ranker, TimeSpan? timeout = null, bool? shippedRanker = null)
    {
        await Engine.DisposeAsync();
        var options = OnDemand(Dir.Path) with { Ranker = ranker, RankerTimeout = timeout ?? TimeSpan.FromSeconds(5) };
        if (shippedRanker is { } shipped) options = options with { ShippedRanker = shipped };
        var engine = await SearchEngine.OpenAsync(options);
        Engine = engine;
        return engine;
    }

    private async Task AddCorpusAsync()
    {
        var texts = TopicCorpus.Texts(5, 8);
        for (int i = 0; i < texts.Count; i++) await TestDocuments.AddAsync(Engine, "d" + i, texts[i]);
    }

    [Fact]
    public async Task A_ranker_reorders_the_hybrid_top_and_each_hit_keeps_its_hybrid_components()
    {
        // The reverse of the hybrid order: what was last among the candidates comes first.
        var ranker = new TestRanker((_, c) => [.. c.Select(x => (double)x.HybridRank)], depth: 6);
        await ReopenWithAsync(ranker);
        await AddCorpusAsync();
        var hybrid = await SearchAsync(new SearchRequest("plover nesting", K: 10, Mode: SearchModes.Hybrid));
        var ranked = await Engine.Search.SearchAsync("c", new SearchRequest("plover nesting", K: 10, Mode: SearchModes.Ranked));
        Assert.Empty(ranked.Warnings);
        Assert.Equal(SearchModes.Ranked, ranked.Mode);
        var expected = hybrid.Hits.Take(6).Reverse().Concat(hybrid.Hits.Skip(6)).Select(h => (h.DocumentId, h.Segment));
        Assert.Equal(expected, ranked.Hits.Select(h => (h.DocumentId, h.Segment)));
        Assert.Equal(ranked.Hits.Select(h => h.Score).OrderDescending(), ranked.Hits.Select(h => h.Score));
        for (int r = 0; r < 6; r++)
        {
            var c = ranked.Hits[r].Components;
            Assert.Equal(r + 1, c["ranker_rank"]);
            Assert.Equal(6 - r, c["hybrid_rank"]);
            Assert.True(c.ContainsKey("bm25_rank") && c.ContainsKey("dense") && c.ContainsKey("hybrid"));
        }
        Assert.False(ranked.Hits[6].Components.ContainsKey("ranker"));
        // The ranker saw each candidate's passage, place and vector.
        Assert.All(ranker.Seen[^1], c => Assert.True(c.Text.Length > 0 && c.Vector.Length > 0));
    }

    [Fact]
    public async Task Grouping_by_document_happens_after_ranking()
    {
        var ranker = new TestRanker((_, c) => [.. c.Select(x => (double)x.HybridRank)]);
        await ReopenWithAsync(ranker);
        await AddCorpusAsync();
        await IndexAsync();
        var ranked = await Engine.Search.SearchAsync("c", new SearchRequest("plover nesting", K: 5, GroupByDocument: true, Mode: SearchModes.Ranked));
        Assert.Equal(ranked.Hits.Count, ranked.Hits.Select(h => h.DocumentId).Distinct().Count());
        var documents = await Engine.Search.RankDocumentsAsync("c", "plover nesting", 5, SearchModes.Ranked);
        Assert.Equal(ranked.Hits.Select(h => h.DocumentId), documents.Select(d => d.DocumentId));
    }

    [Fact]
    public async Task A_failing_ranker_leaves_the_hybrid_order_and_says_so()
    {
        await ReopenWithAsync(new TestRanker((_, _) => throw new InvalidOperationException("weights missing")));
        await AddCorpusAsync();
        var hybrid = await SearchAsync(new SearchRequest("plover nesting", K: 5, Mode: SearchModes.Hybrid));
        var ranked = await Engine.Search.SearchAsync("c", new SearchRequest("plover nesting", K: 5, Mode: SearchModes.Ranked));
        Assert.Equal(hybrid.Hits.Select(h => (h.DocumentId, h.Segment)), ranked.Hits.Select(h => (h.DocumentId, h.Segment)));
        Assert.Contains(ranked.Warnings, w => w.Contains("ranker test failed (weights missing)") && w.Contains("hybrid results"));
        // A ranker that answers with the wrong number of scores is a failure too.
        await ReopenWithAsync(new TestRanker((_, _) => [1.0]));
        var wrong = await Engine.Search.SearchAsync("c", new SearchRequest("plover nesting", K: 5, Mode: SearchModes.Ranked));
        Assert.Contains(wrong.Warnings, w => w.Contains("scores for"));
    }

    [Fact]
    public async Task A_ranker_that_does_not_answer_in_time_leaves_the_hybrid_order()
    {
        await ReopenWithAsync(new BlockedRanker(), TimeSpan.FromMilliseconds(50));
        await AddCorpusAsync();
        var hybrid = await SearchAsync(new SearchRequest("plover nesting", K: 5, Mode: SearchModes.Hybrid));
        var ranked = await Engine.Search.SearchAsync("c", new SearchRequest("plover nesting", K: 5, Mode: SearchModes.Ranked));
        Assert.Equal(hybrid.Hits.Select(h => (h.DocumentId, h.Segment)), ranked.Hits.Select(h => (h.DocumentId, h.Segment)));
        Assert.Contains(ranked.Warnings, w => w.Contains("took longer than"));
    }

    [Fact]
    public async Task Without_a_ranker_ranked_searches_are_hybrid_and_say_so()
    {
        await ReopenWithAsync(null, shippedRanker: false);
        await AddCorpusAsync();
        var hybrid = await SearchAsync(new SearchRequest("plover nesting", K: 5, Mode: SearchModes.Hybrid));
        var ranked = await Engine.Search.SearchAsync("c", new SearchRequest("plover nesting", K: 5, Mode: SearchModes.Ranked));
        Assert.Equal(hybrid.Hits.Select(h => (h.DocumentId, h.Segment)), ranked.Hits.Select(h => (h.DocumentId, h.Segment)));
        Assert.Contains(ranked.Warnings, w => w.Contains("no ranker is configured"));
    }

    [Fact]
    public async Task The_shipped_ranker_is_the_default_and_ranks_with_the_encoders_evidence()
    {
        // The first ranked query loads both encoders: a limit no machine's speed decides.
        await ReopenWithAsync(null, TimeSpan.FromMinutes(5));
        await AddCorpusAsync();
        Assert.Equal("linear:default", Engine.Search.Ranker?.Name);
        var model = ((LinearRanker)Engine.Search.Ranker!).Model;
        Assert.Equal(RankerFeatures.Names, model.Features);
        // It was trained on every development set, and leans on the encoders' evidence as well as on the fused score.
        Assert.Equal(["cisi", "cranfield", "med", "qmsum_retrieval"], model.TrainedOn);
        int evidence = RankerFeatures.Names.Count - EncoderEvidence.FeatureNames.Count;
        Assert.Contains(model.Weights.Skip(evidence), w => Math.Abs(w) > 0.05);
        var ranked = await SearchAsync(new SearchRequest("plover nesting", K: 10, Mode: SearchModes.Ranked));
        Assert.Empty(ranked.Warnings);
        Assert.NotEmpty(ranked.Hits);
        Assert.All(ranked.Hits.Take(Math.Min(10, model.Depth)), h => Assert.True(h.Components.ContainsKey("ranker_rank")));
        // Its first hit is about the query: the corpus's plover documents say "plover".
        Assert.Contains("plover", ranked.Hits[0].Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_trained_model_round_trips_and_learns_the_feature_that_separates_relevant_candidates()
    {
        // Relevance follows the proximity feature; every other feature is noise, and the encoders' evidence is absent
        // (0), so the model does not weigh it and loads without the encoders.
        int f = RankerFeatures.Names.Count, proximity = RankerFeatures.Names.ToList().IndexOf("proximity");
        var queries = ProximityJudgedQueries(7, q => q % 2 == 0 ? "a" : "b");
        var model = RankerTrainer.Train(queries, depth: 20);
        Assert.Equal(["a", "b"], model.TrainedOn);
        int strongest = Enumerable.Range(0, f).MaxBy(j => Math.Abs(model.Weights[j]));
        Assert.Equal(proximity, strongest);
        Assert.True(model.Weights[proximity] > 0);
        using var dir = new TestSupport.TempDirectory();
        string path = Path.Combine(dir.Path, "ranker.json");
        LinearRanker.Save(model, path);
        var loaded = LinearRanker.Load(path);
        Assert.Equal(model.Weights, loaded.Model.Weights);
        Assert.Equal(LinearRanker.Score(model, queries[0].Features[0]), LinearRanker.Score(loaded.Model, queries[0].Features[0]));
        // A model naming other features is refused with a message, not used.
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"proximity\"", "\"closeness\""));
        Assert.Contains("train it again", Assert.Throws<FormatException>(() => LinearRanker.Load(path)).Message);
        File.WriteAllText(path, "{not json");
        Assert.Throws<FormatException>(() => LinearRanker.Load(path));
    }

    [Fact]
    public void A_feature_that_barely_varied_in_training_cannot_decide_a_ranking_elsewhere_alone()
    {
        // Relevance follows proximity; document_candidates is 1 for all but one training candidate (collections of
        // one-passage documents), so its training deviation is tiny. In a collection of long documents it reaches 12:
        // unbounded, that would be hundreds of deviations and outweigh proximity entirely.
        var names = RankerFeatures.Names.ToList();
        int f = names.Count, proximity = names.IndexOf("proximity"), shared = names.IndexOf("document_candidates");
        int evidence = f - EncoderEvidence.FeatureNames.Count;
        var queries = ProximityJudgedQueries(11, _ => "a", (x, y) =>
        {
            foreach (var row in x) row[shared] = 1;
            // The one candidate with a second passage of its document in the list happens to be relevant.
            x[0][shared] = 2;
            y[0] = 1;
        });
        var model = RankerTrainer.Train(queries, depth: 20);
        Assert.True(model.Weights[shared] > 0, "the rare feature is learned as a (weak) sign of relevance");
        Assert.True(model.Scale[shared] < 0.5);

        var close = new double[f];
        var far = new double[f];
        for (int j = 0; j < evidence; j++) close[j] = far[j] = 0.5;
        close[proximity] = 1;
        far[proximity] = 0;
        close[shared] = 1;
        far[shared] = 12;
        // Each feature moves the score by at most its weight times the bound, so the close passage still ranks first.
        Assert.True(LinearRanker.Score(model, close) > LinearRanker.Score(model, far));
        double unbounded = 0;
        for (int j = 0; j < f; j++) unbounded += model.Weights[j] * (far[j] - model.Mean[j]) / model.Scale[j];
        Assert.True(unbounded > LinearRanker.Score(model, close), "without the bound the rare feature would have won");
        Assert.Equal(LinearRankerModel.StandardLimit, LinearRankerModel.Standardise(1e9, 0, 1));
        Assert.Equal(-LinearRankerModel.StandardLimit, LinearRankerModel.Standardise(-1e9, 0, 1));
        Assert.Equal(0.5, LinearRankerModel.Standardise(2, 1, 2));
    }

    /// <summary>
    /// 40 judged queries of 20 candidates whose features are uniform noise (the encoders' evidence 0) and whose label is
    /// whether proximity exceeds 0.7; <paramref name="adjust"/> may reshape each query's features and labels after that.
    /// </summary>
    private static List<RankerTrainingQuery> ProximityJudgedQueries(int seed, Func<int, string> collection, Action<double[][], double[]>? adjust = null)
    {
        var rng = new Random(seed);
        int f = RankerFeatures.Names.Count, proximity = RankerFeatures.Names.ToList().IndexOf("proximity");
        int evidence = f - EncoderEvidence.FeatureNames.Count;
        var queries = new List<RankerTrainingQuery>();
        for (int q = 0; q < 40; q++)
        {
            var x = new double[20][];
            var y = new double[20];
            for (int i = 0; i < 20; i++)
            {
                x[i] = [.. Enumerable.Range(0, f).Select(j => j < evidence ? rng.NextDouble() : 0)];
                y[i] = x[i][proximity] > 0.7 ? 1 : 0;
            }
            adjust?.Invoke(x, y);
            queries.Add(new RankerTrainingQuery(collection(q), "q" + q, x, y, [.. Enumerable.Range(0, 20).Select(i => "d" + i)]));
        }
        return queries;
    }
}
