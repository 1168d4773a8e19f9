using System.Diagnostics;
using System.Text.Json;
using Search.Indexing.Extraction;
using Search.Ranking;

namespace Search.Evaluation.Retrieval;

/// <summary>The outcome of an evaluation run.</summary>
/// <param name="EmbedSeconds">The part of <paramref name="IndexSeconds"/> the dense stage took (learning or embedding).</param>
public sealed record EvaluationReport(IrMetricValues Metrics, int Documents, int FailedDocuments, int Segments, double IndexSeconds, double EmbedSeconds, QueryLatencies Latencies,
    string Mode, string Embedder);

/// <summary>
/// Evaluates the real product path on a BEIR collection: every corpus row is ingested (extraction,
/// segmentation, store) into a fresh collection, the indexing pipeline runs until every stage has applied
/// the store's change log, every judged query is answered at the document level (max segment score), and
/// the run is written and scored.
/// </summary>
public static class BeirEvaluator
{
    /// <summary>Depth of the run per query.</summary>
    public const int RunDepth = 1000;

    /// <summary>Runs the evaluation in <paramref name="engine"/>'s store under a new collection; with <paramref name="dumpDirectory"/> the judged queries' candidates are dumped there (<see cref="CandidateDump"/>).</summary>
    public static async Task<EvaluationReport> RunAsync(SearchEngine engine, BeirDataset data, string mode, string runPath, IProgress<(int Done, int Total)>? progress, CancellationToken ct,
        string? dumpDirectory = null)
    {
        if (!SearchModes.All.Contains(mode)) throw new ArgumentException($"unknown mode '{mode}'; supported: {string.Join(", ", SearchModes.All)}");
        var lines = File.ReadAllLines(data.CorpusPath);
        await ScratchEngine.WarmUpAsync(engine, WarmUpDocuments(data.CorpusPath, lines), [.. data.Queries.Values.Take(WarmUpQueries)], mode, ct);
        var (collection, documents, failed, indexSeconds) = await IngestAsync(engine, data, lines, progress, ct);
        int segments;
        double embedSeconds;
        string embedder;
        var generation = await engine.Indexes.AcquireAsync(collection, ct);
        try
        {
            segments = generation.Lexical.SegmentCount;
            embedSeconds = generation.DenseStage?.Busy.TotalSeconds ?? 0;
            embedder = generation.DenseStage?.EmbedderName ?? "";
        }
        finally { generation.Release(); }

        var run = new TrecRun();
        var latencies = new QueryLatencies();
        long fallbacks = engine.Search.RankerFallbacks;
        var judged = new List<string>(data.Qrels.Keys);
        judged.Sort(StringComparer.Ordinal);
        foreach (var qid in judged)
        {
            if (!data.Queries.TryGetValue(qid, out var query)) continue;
            var q = Stopwatch.StartNew();
            var ranked = await engine.Search.RankDocumentsAsync(collection, query, RunDepth, mode, ct);
            latencies.Add(q.Elapsed.TotalMilliseconds);
            if (latencies.FirstRepeated == 0)
            {
                var again = Stopwatch.StartNew();
                long before = engine.Search.RankerFallbacks;
                await engine.Search.RankDocumentsAsync(collection, query, RunDepth, mode, ct);
                fallbacks += engine.Search.RankerFallbacks - before; // the repeat is not one of the evaluated queries
                latencies.FirstRepeated = again.Elapsed.TotalMilliseconds;
            }
            run.Add(qid, ranked);
        }
        latencies.RankerFallbacks = engine.Search.RankerFallbacks - fallbacks;
        run.Write(runPath, "search-" + mode);
        if (dumpDirectory is not null)
        {
            var queries = new List<(string, string)>();
            foreach (var qid in judged)
                if (data.Queries.TryGetValue(qid, out var query)) queries.Add((qid, query));
            await CandidateDump.WriteAsync(engine, collection, queries, null, dumpDirectory, ct);
        }
        var metrics = IrMetrics.Evaluate(data.Qrels, run.Rankings());
        return new EvaluationReport(metrics, documents, failed, segments, indexSeconds, embedSeconds, latencies, mode, embedder);
    }

    /// <summary>Ingests every corpus row into a new collection and runs its indexing pipeline until every stage is current.</summary>
    public static async Task<(string Collection, int Documents, int Failed, double IndexSeconds)> IngestAsync(SearchEngine engine, BeirDataset data, string[] lines,
        IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        string collection = "eval-" + Guid.NewGuid().ToString("N")[..8];
        await engine.Store.CreateCollectionAsync(collection, ct: ct);
        var clock = Stopwatch.StartNew();
        int documents = 0, failed = 0, line = 0;
        foreach (var text in lines)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                var input = JsonDocumentReader.Parse(text, $"{data.CorpusPath}:{line}", "");
                await engine.Ingestion.IngestJsonAsync(collection, input, explicitId: true, ct);
                documents++;
            }
            catch (Exception e) when (e is ExtractionException or InvalidDocumentException)
            {
                failed++;
            }
            if (line % 500 == 0) progress?.Report((line, lines.Length));
        }
        await engine.Indexes.CatchUpAsync(collection, ct);
        return (collection, documents, failed, clock.Elapsed.TotalSeconds);
    }

    private const int WarmUpCorpus = 50, WarmUpQueries = 5;

    private static List<JsonDocumentInput> WarmUpDocuments(string path, string[] lines)
    {
        var documents = new List<JsonDocumentInput>(WarmUpCorpus);
        for (int i = 0; i < lines.Length && documents.Count < WarmUpCorpus; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try { documents.Add(JsonDocumentReader.Parse(lines[i], $"{path}:{i + 1}", "")); }
            catch (Exception e) when (e is ExtractionException or InvalidDocumentException) { }
        }
        return documents;
    }

    /// <summary>The report as the harness's one-line JSON.</summary>
    public static string ToJson(EvaluationReport r) => JsonSerializer.Serialize(Json(r));

    private static Dictionary<string, object> Json(EvaluationReport r)
    {
        var json = new Dictionary<string, object>
        {
            ["ndcg@10"] = r.Metrics.Ndcg10,
            ["map"] = r.Metrics.Map,
            ["recall@100"] = r.Metrics.Recall100,
            ["p@10"] = r.Metrics.Precision10,
            ["mrr@10"] = r.Metrics.Mrr10,
            ["queries"] = r.Metrics.Queries,
            ["documents"] = r.Documents,
            ["failed_documents"] = r.FailedDocuments,
            ["segments"] = r.Segments,
            ["index_seconds"] = Math.Round(r.IndexSeconds, 3),
            ["embed_seconds"] = Math.Round(r.EmbedSeconds, 3),
            ["embedder"] = r.Embedder,
        };
        r.Latencies.AddTo(json);
        json["mode"] = r.Mode;
        return json;
    }
}
