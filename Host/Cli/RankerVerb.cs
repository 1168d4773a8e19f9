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

    /// <summary>The sub-verb's usage line.</summary>
    public const string Usage = "./search ranker train (--data DIR [--data DIR ...] [--features FILE.jsonl] | --from FILE.jsonl [--collection NAME ...]) --out FILE [--depth 30]";

    /// <summary>Runs the sub-verb.</summary>
    public static async Task<int> RunAsync(CliArguments a, CancellationToken ct)
    {
        if (a.Positional is not ["train"]) throw new UsageException("usage: " + Usage);
        var data = a.GetAll("data");
        string output = a.Require("out");
        int depth = a.GetInt("depth", DefaultDepth, 2, 1000);
        bool depthGiven = a.Get("depth") is not null;
        string? features = a.Get("features");
        string? from = a.Get("from");
        var only = a.GetAll("collection");
        // Training revisits each collection's passages across its queries: keep more of their encoder states than a server does.
        var options = EngineSettings.From(a, IndexingMode.OnDemand, durable: false) with { RankerEvidenceCacheBytes = 2L << 30 };
        a.RejectUnknown();
        LinearRankerModel? model = null;
        List<RankerTrainingSet> sets = [];
        if (from is not null)
        {
            if (data.Count > 0 || features is not null || depthGiven)
                throw new UsageException("--from trains on gathered queries, at the depth they were gathered: give it without --data, --features and --depth");
            if (!File.Exists(from)) throw new UsageException($"--from {from}: no such file");
            List<RankerTrainingQuery> queries;
            try
            {
                (queries, sets) = RankerTraining.ReadFeatures(from, new HashSet<string>(only, StringComparer.Ordinal));
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }
            depth = 2;
            foreach (var q in queries) depth = Math.Max(depth, q.Labels.Length);
            model = RankerTrainer.Train(queries, depth);
        }
        else
        {
            if (only.Count > 0) throw new UsageException("--collection picks gathered collections of --from");
            if (data.Count == 0) throw new UsageException("--data is required (a BEIR folder or a qmsum_retrieval-style span folder; repeat it for more), or --from FILE.jsonl");
            foreach (var d in data)
                if (!Directory.Exists(d)) throw new UsageException($"--data {d}: no such folder");
            await ScratchEngine.RunAsync(options, async engine =>
            {
                var (queries, gathered) = await RankerTraining.GatherAsync(engine, data, depth, new SyncProgress<string>(m => Console.Error.WriteLine("ranker train: " + m)), ct);
                sets = gathered;
                if (features is not null) RankerTraining.WriteFeatures(queries, features);
                model = RankerTrainer.Train(queries, depth);
            }, ct);
        }
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
