using System.Text.Json;
using Search.Evaluation.Retrieval;
using Search.Evaluation.Spans;
using Search.Ranking;
using Search.Ranking.Reranking;
using Search.Segmentation.Analysis;

namespace Search.Evaluation.Rankers;

/// <summary>The judged candidates gathered from one data folder.</summary>
public sealed record RankerTrainingSet(string Name, string Layout, int Queries, int Candidates, int Relevant);

/// <summary>
/// <c>./search ranker train</c>: ingests each data folder (BEIR, or the <c>qmsum_retrieval</c> span layout) into a
/// scratch collection through the product path, takes the hybrid candidates of every judged query as a ranked search
/// would give them to its ranker, labels them from the judgments, and fits a <see cref="LinearRankerModel"/>.
/// A BEIR candidate is as relevant as its document; a transcript segment is relevant when it covers a judged turn.
/// </summary>
public static class RankerTraining
{
    /// <summary>The judged queries of <paramref name="dataDirectories"/> with their candidates' features and labels.</summary>
    public static async Task<(List<RankerTrainingQuery> Queries, List<RankerTrainingSet> Sets)> GatherAsync(SearchEngine engine, IReadOnlyList<string> dataDirectories, int depth,
        IProgress<string>? progress, CancellationToken ct)
    {
        var queries = new List<RankerTrainingQuery>();
        var sets = new List<RankerTrainingSet>();
        foreach (var directory in dataDirectories)
        {
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
            int before = queries.Count;
            string layout;
            if (File.Exists(Path.Combine(directory, "corpus.jsonl")))
            {
                layout = "beir";
                progress?.Report($"{name}: ingesting (BEIR)");
                await GatherBeirAsync(engine, BeirDataset.Load(directory), name, depth, queries, ct);
            }
            else if (File.Exists(Path.Combine(directory, "qrels.jsonl")))
            {
                layout = "spans";
                progress?.Report($"{name}: ingesting (transcript spans)");
                await GatherSpansAsync(engine, directory, name, depth, queries, ct);
            }
            else throw new FileNotFoundException($"{directory}: neither a BEIR folder (corpus.jsonl) nor a span set (documents.jsonl, queries.jsonl, qrels.jsonl)");
            int candidates = 0, relevant = 0;
            for (int i = before; i < queries.Count; i++)
            {
                candidates += queries[i].Labels.Length;
                foreach (double l in queries[i].Labels) if (l > 0) relevant++;
            }
            sets.Add(new RankerTrainingSet(name, layout, queries.Count - before, candidates, relevant));
            progress?.Report($"{name}: {queries.Count - before} judged queries, {candidates} candidates, {relevant} relevant");
        }
        return (queries, sets);
    }

    private static async Task GatherBeirAsync(SearchEngine engine, BeirDataset data, string name, int depth, List<RankerTrainingQuery> into, CancellationToken ct)
    {
        var (collection, _, _, _) = await BeirEvaluator.IngestAsync(engine, data, File.ReadAllLines(data.CorpusPath), null, ct);
        var judged = new List<string>(data.Qrels.Keys);
        judged.Sort(StringComparer.Ordinal);
        foreach (var qid in judged)
        {
            if (!data.Queries.TryGetValue(qid, out var text)) continue;
            var (query, candidates, ids) = await engine.Search.RankerInputAsync(collection, text, depth, ct);
            var labels = new double[candidates.Count];
            var relevant = data.Qrels[qid];
            for (int i = 0; i < labels.Length; i++) labels[i] = relevant.TryGetValue(ids[i], out int grade) && grade > 0 ? grade : 0;
            into.Add(new RankerTrainingQuery(name, qid, RankerFeatures.Compute(query, candidates, Analyzer.English), labels, ids));
        }
        await engine.Collections.DeleteAsync(collection, ct);
    }

    private static async Task GatherSpansAsync(SearchEngine engine, string directory, string name, int depth, List<RankerTrainingQuery> into, CancellationToken ct)
    {
        var (collection, turnsOf, _, _, _) = await SpanEvaluator.IngestAsync(engine, Path.Combine(directory, "documents.jsonl"), null, ct);
        var qrels = SpanEvaluator.ReadQrels(Path.Combine(directory, "qrels.jsonl"));
        foreach (var line in File.ReadLines(Path.Combine(directory, "queries.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var q = JsonDocument.Parse(line);
            string qid = q.RootElement.GetProperty("_id").GetString()!, text = q.RootElement.GetProperty("text").GetString()!;
            if (!qrels.TryGetValue(qid, out var judged)) continue;
            var (query, candidates, ids) = await engine.Search.RankerInputAsync(collection, text, depth, ct);
            var labels = new double[candidates.Count];
            for (int i = 0; i < labels.Length; i++)
            {
                if (ids[i] != judged.Document || !turnsOf.TryGetSegment(ids[i], candidates[i].Ordinal, out var turns)) continue;
                foreach (var (first, last) in judged.Spans)
                    if (turns.First <= last && first <= turns.Last) labels[i] = 1;
            }
            into.Add(new RankerTrainingQuery(name, qid, RankerFeatures.Compute(query, candidates, Analyzer.English), labels, ids));
        }
        await engine.Collections.DeleteAsync(collection, ct);
    }

    /// <summary>Writes the gathered queries as JSON lines (collection, query, labels, features), for offline study of the features.</summary>
    public static void WriteFeatures(IReadOnlyList<RankerTrainingQuery> queries, string path)
    {
        using var writer = new StreamWriter(path);
        foreach (var q in queries)
        {
            writer.Write(JsonSerializer.Serialize(new { collection = q.Collection, query = q.QueryId, documents = q.Documents, labels = q.Labels, features = q.Features }));
            writer.Write('\n');
        }
    }
}
