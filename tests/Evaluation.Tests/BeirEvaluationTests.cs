using Search.Evaluation.Retrieval;
using Search.Ranking;
using Search.TestSupport;

namespace Search.Evaluation.Tests;

/// <summary>The evaluation harness on the shared development collections: agreement with the reference scorer, and BM25 quality at least that of a Lucene-style BM25 run.</summary>
public class BeirEvaluationTests
{
    [Theory]
    [InlineData("cranfield", 0.352)]
    [InlineData("cisi", 0.359)]
    [InlineData("med", 0.668)]
    public async Task Bm25_is_at_least_as_good_as_lucene_and_the_scorer_agrees(string set, double luceneNdcg10)
    {
        using var dir = new TempDirectory();
        var data = BeirDataset.Load(Path.Combine(RepoPaths.Shared, "data", set));
        string runPath = dir.File("bm25.run");
        EvaluationReport report = null!;
        await ScratchEngine.RunAsync(new EngineOptions { DefaultEmbedder = "corpus" }, async engine => report = await BeirEvaluator.RunAsync(engine, data, "bm25", runPath, null, CancellationToken.None), CancellationToken.None);
        var reference = IrMetricsTests.Scorer(Path.Combine(data.Directory, "qrels", "test.tsv"), runPath);
        Assert.Equal(reference["ndcg@10"], report.Metrics.Ndcg10, 4);
        Assert.Equal(reference["map"], report.Metrics.Map, 4);
        Assert.Equal(reference["recall@100"], report.Metrics.Recall100, 4);
        Assert.Equal(reference["queries"], report.Metrics.Queries);
        Assert.True(report.Metrics.Ndcg10 >= luceneNdcg10, $"{set}: nDCG@10 {report.Metrics.Ndcg10} is below Lucene's {luceneNdcg10}");
    }

    [Fact]
    public void A_folder_that_is_not_beir_is_rejected_with_the_missing_file()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => BeirDataset.Load(dir.Path));
        Assert.Contains("corpus.jsonl", e.Message, StringComparison.Ordinal);
    }
}
