using System.Diagnostics;
using System.Text.Json;
using Search.Evaluation.Segmentation;
using Search.TestSupport;

namespace Search.Evaluation.Tests;

/// <summary>Pk and WindowDiff as the shared scorer computes them, and the segment-eval harness scored by it.</summary>
public class SegmentEvaluationTests
{
    [Fact]
    public void Pk_and_windowdiff_on_hand_made_cases()
    {
        Assert.Equal(new SegmentationScore(0, 0, 8), SegmentationMetrics.Score(10, [5], [5]));
        var none = SegmentationMetrics.Score(10, [5], []);
        Assert.Equal(8, none.Probes); // k = round(10 / 2 / 2) = 2 (half to even), so 10 - 2 probes
        Assert.Equal(2.0 / 8, none.Pk);
        Assert.Equal(2.0 / 8, none.WindowDiff);
        Assert.Equal(new SegmentationScore(0, 0, 0), SegmentationMetrics.Score(1, [], []));
    }

    [Fact]
    public void Metrics_and_predictions_agree_with_the_independent_scorer()
    {
        var rng = new Random(21);
        using var dir = new TempDirectory();
        string gold = dir.File("gold.jsonl"), pred = dir.File("pred.jsonl");
        using (var g = new StreamWriter(gold))
        using (var p = new StreamWriter(pred))
        {
            for (int d = 0; d < 60; d++)
            {
                int n = rng.Next(1, 80);
                var units = Enumerable.Range(0, n).Select(i => "unit " + i).ToList();
                List<int> Random() => Enumerable.Range(1, Math.Max(0, n - 1)).Where(_ => rng.Next(6) == 0).ToList();
                g.WriteLine(JsonSerializer.Serialize(new { id = "d" + d, sentences = units, boundaries = Random() }));
                p.WriteLine(JsonSerializer.Serialize(new { id = "d" + d, boundaries = Random() }));
            }
        }
        var goldDocs = File.ReadLines(gold).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var predDocs = File.ReadLines(pred).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        double pk = 0, wd = 0;
        for (int i = 0; i < goldDocs.Count; i++)
        {
            var s = SegmentationMetrics.Score(goldDocs[i].GetProperty("sentences").GetArrayLength(),
                goldDocs[i].GetProperty("boundaries").EnumerateArray().Select(e => e.GetInt32()).ToList(),
                predDocs[i].GetProperty("boundaries").EnumerateArray().Select(e => e.GetInt32()).ToList());
            pk += s.Pk;
            wd += s.WindowDiff;
        }
        var reference = Scorer(gold, pred);
        Assert.Equal(reference["pk"], Math.Round(pk / goldDocs.Count, 4), 4);
        Assert.Equal(reference["windowdiff"], Math.Round(wd / goldDocs.Count, 4), 4);

        // The harness's own numbers agree with the scorer reading the predictions it wrote.
        string out2 = dir.File("harness.jsonl");
        var report = SegmentEvaluation.Run(gold, out2, "auto", wordClasses: false);
        var check = Scorer(gold, out2);
        Assert.Equal((check["pk"], check["windowdiff"]), (report.Pk, report.WindowDiff));
    }

    private static Dictionary<string, double> Scorer(string gold, string pred)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(RepoPaths.Shared, "scorers", "seg_metrics.py"), gold, pred, "--json" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        using var doc = JsonDocument.Parse(output);
        return doc.RootElement.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetDouble());
    }
}
