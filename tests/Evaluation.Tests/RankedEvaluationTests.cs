using Search.Evaluation.Retrieval;
using Search.Ranking;
using Search.Ranking.Reranking;
using Search.TestSupport;

namespace Search.Evaluation.Tests;

/// <summary>A ranked evaluation counts the queries whose ranker failed (they are answered in hybrid order), so its metrics are never silently the hybrid ones.</summary>
public sealed class RankedEvaluationTests
{
    private sealed class FailingRanker : IRanker
    {
        public string Name => "failing";
        public int Depth => 30;
        public ValueTask<double[]> ScoreAsync(RankerQuery query, IReadOnlyList<RankerCandidate> candidates, CancellationToken ct) => throw new InvalidOperationException("no scores today");
    }

    [Fact]
    public async Task Every_query_whose_ranker_fails_is_counted_and_keeps_the_hybrid_order()
    {
        using var dir = new TempDirectory();
        var data = BeirDataset.Load(Path.Combine(RepoPaths.Shared, "data", "med"));
        EvaluationReport hybrid = null!, ranked = null!;
        var options = new EngineOptions { DefaultEmbedder = "corpus", Ranker = new FailingRanker() };
        await ScratchEngine.RunAsync(options, async engine =>
        {
            hybrid = await BeirEvaluator.RunAsync(engine, data, SearchModes.Hybrid, dir.File("hybrid.run"), null, CancellationToken.None);
        }, CancellationToken.None);
        await ScratchEngine.RunAsync(options, async engine =>
        {
            ranked = await BeirEvaluator.RunAsync(engine, data, SearchModes.Ranked, dir.File("ranked.run"), null, CancellationToken.None);
        }, CancellationToken.None);
        Assert.Equal(0, hybrid.Latencies.RankerFallbacks);
        Assert.Equal(ranked.Metrics.Queries, ranked.Latencies.RankerFallbacks);
        Assert.Equal(hybrid.Metrics.Ndcg10, ranked.Metrics.Ndcg10, 6);
        using var json = System.Text.Json.JsonDocument.Parse(BeirEvaluator.ToJson(ranked));
        Assert.Equal(ranked.Metrics.Queries, json.RootElement.GetProperty("ranker_fallbacks").GetInt64());
    }
}
