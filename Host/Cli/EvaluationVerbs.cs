using System.Text.Json;
using Search.Evaluation;
using Search.Evaluation.Retrieval;
using Search.Evaluation.Segmentation;
using Search.Evaluation.Spans;
using Search.Indexing.Pipeline;
using Search.Ranking;

namespace Search.Cli;

/// <summary><c>./search eval</c>, <c>eval-spans</c> and <c>segment-eval</c>: the measuring instruments, whose JSON last lines scripts read.</summary>
public static class EvaluationVerbs
{
    /// <summary>The arguments eval and eval-spans share: a data folder that exists, a mode, a run file and scratch engine options.</summary>
    private static (string Data, string Mode, string RunPath, string? Dump, EngineOptions Options) Arguments(CliArguments a)
    {
        string data = a.Require("data");
        string mode = EngineSettings.Mode(a);
        string runPath = a.Require("run");
        string? dump = a.Get("dump");
        // An evaluation measures the ranker's quality: unless told otherwise its queries get a minute each, not a server's
        // 5 s (a query that still runs out of time falls back to hybrid order and is counted in ranker_fallbacks).
        var options = EngineSettings.From(a, IndexingMode.OnDemand, durable: false, ranks: true);
        if (EngineSettings.RankerTimeout(a) is null) options = options with { RankerTimeout = TimeSpan.FromMinutes(1) };
        a.RejectUnknown();
        if (!Directory.Exists(data)) throw new UsageException($"--data {data}: no such folder");
        if (dump is not null && mode == SearchModes.Bm25) throw new UsageException("--dump writes dense vectors: use it with --mode dense, situated or hybrid");
        return (data, mode, runPath, dump, options);
    }

    /// <summary>BEIR evaluation.</summary>
    public static async Task<int> EvalAsync(CliArguments a, CancellationToken ct)
    {
        var (data, mode, runPath, dump, options) = Arguments(a);
        var dataset = BeirDataset.Load(data);
        await ScratchEngine.RunAsync(options, async engine =>
        {
            var bar = new ProgressBar("eval: ingest");
            var report = await BeirEvaluator.RunAsync(engine, dataset, mode, runPath, new SyncProgress<(int Done, int Total)>(p => bar.Report(p.Done, p.Total)), ct, dump);
            bar.Finish();
            await Console.Error.WriteLineAsync($"{report.Documents} documents, {report.Segments} segments, {report.Metrics.Queries} judged queries; run written to {runPath}");
            Console.WriteLine(BeirEvaluator.ToJson(report));
        }, ct);
        return 0;
    }

    /// <summary>Span evaluation over transcripts.</summary>
    public static async Task<int> EvalSpansAsync(CliArguments a, CancellationToken ct)
    {
        var (data, mode, runPath, dump, options) = Arguments(a);
        foreach (var file in new[] { "documents.jsonl", "queries.jsonl", "qrels.jsonl" })
            if (!File.Exists(Path.Combine(data, file))) throw new UsageException($"--data {data}: {file} is missing");
        await ScratchEngine.RunAsync(options, async engine =>
        {
            var bar = new ProgressBar("eval-spans: ingest");
            SpanEvaluationReport report;
            try
            {
                report = await SpanEvaluator.RunAsync(engine, data, mode, runPath, new SyncProgress<(int Done, int Total)>(p => bar.Report(p.Done, p.Total)), ct, dump);
            }
            catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or Indexing.Extraction.ExtractionException)
            {
                throw new UsageException($"--data {data}: {e.Message}");
            }
            bar.Finish();
            await Console.Error.WriteLineAsync($"{report.Documents} documents, {report.Segments} segments, {report.Metrics.Queries} queries; run written to {runPath}");
            Console.WriteLine(SpanEvaluator.ToJson(report));
        }, ct);
        return 0;
    }

    /// <summary>Topical segmentation against gold boundaries.</summary>
    public static int SegmentEval(CliArguments a)
    {
        string data = a.Require("data");
        string output = a.Require("out");
        string kind = a.Get("kind") ?? "auto";
        bool wordClasses = !a.Flag("no-word-classes");
        a.RejectUnknown();
        if (!File.Exists(data)) throw new UsageException($"--data {data}: no such file");
        if (!SegmentEvaluation.Kinds.Contains(kind)) throw new UsageException($"unknown --kind '{kind}'; use {string.Join(", ", SegmentEvaluation.Kinds)}");
        var r = SegmentEvaluation.Run(data, output, kind, wordClasses);
        if (wordClasses) Console.Error.WriteLine($"{r.WordClasses} word classes over {r.ClassedWords} words learned from the file in {r.ClassSeconds:0.0} s");
        Console.Error.WriteLine($"{r.Documents} documents, {r.Units} units, {r.TextBytes / 1e6:0.0} MB of text segmented in {r.Seconds:0.00} s ({r.MegabytesPerSecond:0.0} MB/s on one core); predictions written to {output}");
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["pk"] = r.Pk,
            ["windowdiff"] = r.WindowDiff,
            ["pk_micro"] = r.PkMicro,
            ["docs"] = r.Documents,
            ["kind"] = kind,
            ["word_classes"] = r.WordClasses,
            ["mb_per_s"] = Math.Round(r.MegabytesPerSecond, 2),
        }));
        return 0;
    }
}
