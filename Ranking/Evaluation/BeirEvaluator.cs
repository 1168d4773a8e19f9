using System.Diagnostics;
using System.Text.Json;
using Search.Indexing.Extraction;

namespace Search.Ranking.Evaluation;

/// <summary>The outcome of an evaluation run.</summary>
public sealed record EvaluationReport(IrMetricValues Metrics, int Documents, int FailedDocuments, int Segments, double IndexSeconds, double QueryMsP50, double QueryMsP99, string Mode);

/// <summary>
/// Evaluates the real product path on a BEIR collection: every corpus row is ingested (extraction,
/// segmentation, store) into a fresh collection, the index is built from the store, every judged
/// query is answered at the document level (max segment score), and the run is written and scored.
/// </summary>
public static class BeirEvaluator
{
    /// <summary>Depth of the run per query.</summary>
    public const int RunDepth = 1000;

    /// <summary>Runs the evaluation in <paramref name="engine"/>'s store under a new collection.</summary>
    public static async Task<EvaluationReport> RunAsync(SearchEngine engine, BeirDataset data, string mode, string runPath, IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        if (!SearchModes.All.Contains(mode)) throw new ArgumentException($"unknown mode '{mode}'; supported: {string.Join(", ", SearchModes.All)}");
        string collection = "eval-" + Guid.NewGuid().ToString("N")[..8];
        await engine.Store.CreateCollectionAsync(collection, ct);
        var clock = Stopwatch.StartNew();
        int documents = 0, failed = 0, line = 0;
        var lines = File.ReadAllLines(data.CorpusPath);
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
            catch (ExtractionException)
            {
                failed++;
            }
            if (line % 500 == 0) progress?.Report((line, lines.Length));
        }
        var index = await engine.Indexes.GetCurrentAsync(collection, ct);
        double indexSeconds = clock.Elapsed.TotalSeconds;

        var run = new TrecRun();
        var latencies = new List<double>();
        var judged = new List<string>(data.Qrels.Keys);
        judged.Sort(StringComparer.Ordinal);
        foreach (var qid in judged)
        {
            if (!data.Queries.TryGetValue(qid, out var query)) continue;
            var q = Stopwatch.StartNew();
            var ranked = await engine.Search.RankDocumentsAsync(collection, query, RunDepth, mode, ct);
            latencies.Add(q.Elapsed.TotalMilliseconds);
            run.Add(qid, ranked);
        }
        run.Write(runPath, "search-" + mode);
        var metrics = IrMetrics.Evaluate(data.Qrels, run.Rankings());
        return new EvaluationReport(metrics, documents, failed, index.Current.Lexical.SegmentCount, indexSeconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99), mode);
    }

    /// <summary>The report as the harness's one-line JSON.</summary>
    public static string ToJson(EvaluationReport r) => JsonSerializer.Serialize(new Dictionary<string, object>
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
        ["query_ms_p50"] = Math.Round(r.QueryMsP50, 3),
        ["query_ms_p99"] = Math.Round(r.QueryMsP99, 3),
        ["mode"] = r.Mode,
    });

    /// <summary>The p-quantile of the values (nearest rank), 0 when there are none.</summary>
    internal static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return 0;
        var sorted = new List<double>(values);
        sorted.Sort();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }
}
