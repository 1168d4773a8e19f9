using System.Text.Json;
using System.Text.Json.Serialization;
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
        var evidence = EncoderEvidence.FromPackaged(engine.Embedders, engine.Options.RankerEvidenceCacheBytes);
        foreach (var directory in dataDirectories)
        {
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
            int before = queries.Count;
            string layout;
            if (File.Exists(Path.Combine(directory, "corpus.jsonl")))
            {
                layout = "beir";
                progress?.Report($"{name}: ingesting (BEIR)");
                await GatherBeirAsync(engine, evidence, BeirDataset.Load(directory), name, depth, queries, ct);
            }
            else if (File.Exists(Path.Combine(directory, "qrels.jsonl")))
            {
                layout = "spans";
                progress?.Report($"{name}: ingesting (transcript spans)");
                await GatherSpansAsync(engine, evidence, directory, name, depth, queries, ct);
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

    private static async Task GatherBeirAsync(SearchEngine engine, EncoderEvidence evidence, BeirDataset data, string name, int depth, List<RankerTrainingQuery> into, CancellationToken ct)
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
            into.Add(new RankerTrainingQuery(name, qid, RankerFeatures.Compute(query, candidates, Analyzer.English, evidence.Compute(query, candidates, ct)), labels, ids));
        }
        await engine.Collections.DeleteAsync(collection, ct);
    }

    private static async Task GatherSpansAsync(SearchEngine engine, EncoderEvidence evidence, string directory, string name, int depth, List<RankerTrainingQuery> into, CancellationToken ct)
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
            into.Add(new RankerTrainingQuery(name, qid, RankerFeatures.Compute(query, candidates, Analyzer.English, evidence.Compute(query, candidates, ct)), labels, ids));
        }
        await engine.Collections.DeleteAsync(collection, ct);
    }

    /// <summary>
    /// Reads queries written by <see cref="WriteFeatures"/> (by this build: the rows must have its features), keeping those
    /// of <paramref name="collections"/> (all when empty), so a model can be learned again without ingesting and encoding.
    /// </summary>
    public static (List<RankerTrainingQuery> Queries, List<RankerTrainingSet> Sets) ReadFeatures(string path, IReadOnlyCollection<string> collections)
    {
        var queries = new List<RankerTrainingQuery>();
        var counts = new Dictionary<string, (int Queries, int Candidates, int Relevant)>(StringComparer.Ordinal);
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            FeatureLine row;
            try
            {
                row = JsonSerializer.Deserialize<FeatureLine>(text) ?? throw new FormatException("empty line");
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path}:{line}: not a gathered query ({e.Message})", e);
            }
            if (row.Collection is null || row.Query is null || row.Documents is null || row.Labels is null || row.Features is null)
                throw new FormatException($"{path}:{line}: a gathered query needs collection, query, documents, labels and features");
            int n = row.Labels.Length;
            if (row.Documents.Count != n || row.Features.Length != n)
                throw new FormatException($"{path}:{line}: {n} labels, {row.Documents.Count} documents and {row.Features.Length} feature rows");
            foreach (var f in row.Features)
                if (f is null || f.Length != RankerFeatures.Names.Count)
                    throw new FormatException($"{path}:{line}: a row of {f?.Length ?? 0} features, where this build computes {RankerFeatures.Names.Count}; gather them again");
            if (collections.Count > 0 && !collections.Contains(row.Collection)) continue;
            queries.Add(new RankerTrainingQuery(row.Collection, row.Query, row.Features, row.Labels, row.Documents));
            var c = counts.GetValueOrDefault(row.Collection);
            int relevant = 0;
            foreach (double l in row.Labels) if (l > 0) relevant++;
            counts[row.Collection] = (c.Queries + 1, c.Candidates + n, c.Relevant + relevant);
        }
        foreach (var name in collections)
            if (!counts.ContainsKey(name)) throw new FormatException($"{path}: no gathered query of collection '{name}'");
        var sets = new List<RankerTrainingSet>();
        foreach (var (name, c) in counts) sets.Add(new RankerTrainingSet(name, "features", c.Queries, c.Candidates, c.Relevant));
        return (queries, sets);
    }

    private sealed record FeatureLine(
        [property: JsonPropertyName("collection")] string? Collection,
        [property: JsonPropertyName("query")] string? Query,
        [property: JsonPropertyName("documents")] IReadOnlyList<string>? Documents,
        [property: JsonPropertyName("labels")] double[]? Labels,
        [property: JsonPropertyName("features")] double[][]? Features);

    /// <summary>Writes the gathered queries as JSON lines (collection, query, documents, labels, features): for offline study, and for <see cref="ReadFeatures"/>.</summary>
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
