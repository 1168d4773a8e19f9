using System.Diagnostics;
using Search.Evaluation.Retrieval;
using Search.TestSupport;

namespace Search.Evaluation.Tests;

public class IrMetricsTests
{
    [Fact]
    public void Hand_computed_example()
    {
        var qrels = new Dictionary<string, Dictionary<string, int>>
        {
            ["q1"] = new() { ["a"] = 2, ["b"] = 1, ["z"] = 1 },
            ["q2"] = new() { ["x"] = 1 },
            ["q3"] = new() { ["n"] = 0 }, // no relevant document: not a judged query
        };
        var ranking = new Dictionary<string, IReadOnlyList<string>> { ["q1"] = ["b", "c", "a"], ["q2"] = [] };
        var m = IrMetrics.Evaluate(qrels, ranking);
        double dcg = 1 / Math.Log2(2) + 2 / Math.Log2(4);
        double idcg = 2 / Math.Log2(2) + 1 / Math.Log2(3) + 1 / Math.Log2(4);
        Assert.Equal(2, m.Queries);
        Assert.Equal(Math.Round(dcg / idcg / 2, 4), m.Ndcg10);
        Assert.Equal(Math.Round((1.0 + 2.0 / 3) / 3 / 2, 4), m.Map);
        Assert.Equal(Math.Round(2.0 / 3 / 2, 4), m.Recall100);
        Assert.Equal(0.1, m.Precision10);
        Assert.Equal(0.5, m.Mrr10);
    }

    [Fact]
    public void Agrees_with_the_independent_scorer_on_random_runs_with_ties()
    {
        var rng = new Random(5);
        using var dir = new TempDirectory();
        var qrels = new Dictionary<string, Dictionary<string, int>>();
        var lines = new List<string> { "query-id\tcorpus-id\tscore" };
        for (int q = 0; q < 40; q++)
        {
            var rels = new Dictionary<string, int>();
            for (int j = 0; j < rng.Next(0, 15); j++) rels["d" + rng.Next(200)] = rng.Next(0, 5);
            qrels["q" + q] = rels;
            lines.AddRange(rels.Select(r => $"q{q}\t{r.Key}\t{r.Value}"));
        }
        File.WriteAllLines(dir.File("qrels.tsv"), lines);
        var run = new TrecRun();
        for (int q = 0; q < 40; q++)
            run.Add("q" + q, Enumerable.Range(0, rng.Next(0, 300)).Select(_ => ("d" + rng.Next(200), Math.Round(rng.NextDouble() * 5, 1) + rng.NextDouble() * 1e-8)));
        run.Write(dir.File("run.txt"), "test");
        var ours = IrMetrics.Evaluate(qrels, run.Rankings());
        var theirs = Scorer(dir.File("qrels.tsv"), dir.File("run.txt"));
        Assert.Equal(theirs["ndcg@10"], ours.Ndcg10, 4);
        Assert.Equal(theirs["map"], ours.Map, 4);
        Assert.Equal(theirs["recall@100"], ours.Recall100, 4);
        Assert.Equal(theirs["p@10"], ours.Precision10, 4);
        Assert.Equal(theirs["mrr@10"], ours.Mrr10, 4);
        Assert.Equal(theirs["queries"], ours.Queries);
    }

    /// <summary>Runs shared/scorers/ir_metrics.py, the reference every number of ours must agree with.</summary>
    public static Dictionary<string, double> Scorer(string qrels, string run)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Shared, "scorers", "ir_metrics.py"));
        psi.ArgumentList.Add(qrels);
        psi.ArgumentList.Add(run);
        psi.ArgumentList.Add("--json");
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "ir_metrics.py failed: " + p.StandardError.ReadToEnd());
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        return doc.RootElement.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetDouble());
    }
}
