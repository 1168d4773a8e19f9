using System.Text.Json;
using Search.Evaluation;
using Search.Evaluation.Rankers;
using Search.Indexing.Pipeline;
using Search.Ranking.Reranking;

namespace Search.Cli;

/// <summary><c>./search ranker train</c>: learns a ranker model from judged data folders.</summary>
public static class RankerVerb
{
    /// <summary>The default number of hybrid candidates a trained ranker re-scores.</summary>
    public const int DefaultDepth = 30;

    /// <summary>Runs the sub-verb.</summary>
    public static async Task<int> RunAsync(CliArguments a, CancellationToken ct)
    {
        if (a.Positional is not ["train"]) throw new UsageException("usage: ./search ranker train --data DIR [--data DIR ...] --out FILE [--depth 30] [--features FILE.jsonl]");
        var data = a.GetAll("data");
        string output = a.Require("out");
        int depth = a.GetInt("depth", DefaultDepth, 2, 1000);
        string? features = a.Get("features");
        var options = EngineSettings.From(a, IndexingMode.OnDemand, durable: false);
        a.RejectUnknown();
        if (data.Count == 0) throw new UsageException("--data is required (a BEIR folder or a qmsum_retrieval-style span folder; repeat it for more)");
        foreach (var d in data)
            if (!Directory.Exists(d)) throw new UsageException($"--data {d}: no such folder");
        LinearRankerModel? model = null;
        List<RankerTrainingSet> sets = [];
        await ScratchEngine.RunAsync(options, async engine =>
        {
            var (queries, gathered) = await RankerTraining.GatherAsync(engine, data, depth, new SyncProgress<string>(m => Console.Error.WriteLine("ranker train: " + m)), ct);
            sets = gathered;
            if (features is not null) RankerTraining.WriteFeatures(queries, features);
            model = RankerTrainer.Train(queries, depth);
        }, ct);
        LinearRanker.Save(model!, output);
        await Console.Error.WriteLineAsync($"ranker written to {output}: {model!.Queries} queries with pairs, {model.Pairs} pairs, depth {depth}");
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["out"] = output,
            ["depth"] = depth,
            ["queries"] = model.Queries,
            ["pairs"] = model.Pairs,
            ["trained_on"] = sets.Select(s => new { name = s.Name, layout = s.Layout, queries = s.Queries, candidates = s.Candidates, relevant = s.Relevant }),
            ["weights"] = RankerFeatures.Names.Zip(model.Weights).ToDictionary(p => p.First, p => Math.Round(p.Second, 4)),
        }));
        return 0;
    }
}
