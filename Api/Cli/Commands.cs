using System.Globalization;
using System.Text.Json;
using Search.Api.Web;
using Search.Indexing.Ingestion;
using Search.Indexing.Lexical;
using Search.Indexing.Storage;
using Search.Ranking;
using Search.Ranking.Evaluation;

namespace Search.Api.Cli;

/// <summary>The verbs of <c>./search</c>.</summary>
public static class Commands
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: ./search <verb> [options]

        verbs:
          serve      [--urls http://127.0.0.1:8080]             run the REST service (OpenAPI at /openapi/v1.json)
          ingest     <files|dirs|globs>... --collection C        ingest documents (the collection is created if needed)
          query      "text" --collection C [--k 10] [--mode bm25|dense|situated|hybrid] [--documents] [--filter key:value]... [--json]
          collections                                            list collections
          reindex    --collection C                              rebuild a collection's indexes as a new generation (no downtime)
          tasks      [TASK_ID]                                   list bulk tasks, or show one with its errors
          eval       --data DIR --mode bm25|dense|situated|hybrid --run OUT.run   evaluate on a BEIR folder; last line is JSON metrics
          eval-spans --data DIR --mode M --run OUT.jsonl       span retrieval over transcripts (documents/queries/qrels.jsonl); last line is JSON metrics
          segment-eval --data FILE.jsonl --out PRED.jsonl [--kind auto|legal|transcript|prose] [--no-word-classes]
                                                                 topical segmentation against gold boundaries; last line is JSON Pk/WindowDiff
          bench lexical [--docs 1000000] [--seed 42] [--queries 1000] [--no-lucene]
                                                                 our BM25 engine against Lucene 8.8 on one synthetic corpus
          bench attention [--quick] [--docs 100] [--prefill-layers 2]
                                                                 dense vs block-sparse vs cached-query attention kernels, then
                                                                 one-pass vs cached-document prefill of a random-weight decoder
          bench vectors [--n 100000] [--dim 384] [--queries 1000] [--quick] [--ivf 0|1]
          bench embeddings [--segments 100000] [--dim 100] [--seed 42]
                                                                 exact vs FAISS Flat/HNSW/IVF: build, p50/p99, recall@10

        store options (every verb):
          --data-dir DIR       embedded store folder (env SEARCH_DATA_DIR; default ./.data)
          --store sqlite|postgres   (env SEARCH_STORE; default sqlite)
          --postgres CONN      Npgsql connection string (env SEARCH_POSTGRES)
          --embedding-model DIR  sentence-embedding model served at /v1/embeddings and used for dense search
                               (env SEARCH_EMBEDDING_MODEL; default: an embedder learned from each collection)
        ranking options (serve, query, eval): --k1 0.9 --b 0.4

        exit codes: 0 success, 2 bad arguments or input, 1 other failure
        """;

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "documents", "json", "help", "no-lucene", "no-word-classes", "quick" };

    /// <summary>Runs one command line and returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            var a = CliArguments.Parse(args[1..], Flags);
            return args[0] switch
            {
                "serve" => await ServeAsync(a),
                "ingest" => await IngestAsync(a, cts.Token),
                "query" => await QueryAsync(a, cts.Token),
                "collections" => await CollectionsAsync(a, cts.Token),
                "tasks" => await TasksAsync(a, cts.Token),
                "eval" => await EvalAsync(a, cts.Token),
                "eval-spans" => await EvalSpansAsync(a, cts.Token),
                "bench" => await BenchAsync(a, cts.Token),
                "reindex" => await ReindexAsync(a, cts.Token),
                "segment-eval" => SegmentEval(a),
                _ => throw new UsageException($"unknown verb '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"search: {e.Message}\nrun './search help' for usage");
            return 2;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException
            or NotFoundException or ConflictException or Indexing.Extraction.ExtractionException or JsonException)
        {
            await Console.Error.WriteLineAsync($"search: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("search: interrupted");
            return 1;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"search: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>Engine options from the command line and the environment.</summary>
    public static EngineOptions EngineOptionsFrom(CliArguments a, bool durable = true)
    {
        string store = a.Get("store") ?? Environment.GetEnvironmentVariable("SEARCH_STORE") ?? "sqlite";
        var kind = store.ToLowerInvariant() switch
        {
            "sqlite" => StoreKind.Sqlite,
            "postgres" or "postgresql" => StoreKind.Postgres,
            _ => throw new UsageException("--store must be sqlite or postgres"),
        };
        return new EngineOptions
        {
            Store = kind,
            DataDirectory = a.Get("data-dir") ?? Environment.GetEnvironmentVariable("SEARCH_DATA_DIR") ?? ".data",
            PostgresConnectionString = a.Get("postgres") ?? Environment.GetEnvironmentVariable("SEARCH_POSTGRES"),
            EmbeddingModelDirectory = a.Get("embedding-model"),
            Durable = durable,
            Bm25 = new Bm25Parameters(K1: Double(a, "k1", 0.9), B: Double(a, "b", 0.4)),
        };
    }

    private static double Double(CliArguments a, string name, double fallback)
    {
        string? v = a.Get(name);
        if (v is null) return fallback;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            ? d : throw new UsageException($"--{name} must be a number");
    }

    private static async Task<int> ServeAsync(CliArguments a)
    {
        string urls = a.Get("urls") ?? Environment.GetEnvironmentVariable("SEARCH_URLS") ?? "http://127.0.0.1:8080";
        var options = EngineOptionsFrom(a);
        a.RejectUnknown();
        await using var engine = await SearchEngine.OpenAsync(options);
        var app = WebHost.Build(engine, urls);
        await app.RunAsync();
        return 0;
    }

    private static async Task<int> IngestAsync(CliArguments a, CancellationToken ct)
    {
        string collection = Endpoints.ValidateCollectionName(a.Require("collection"));
        var options = EngineOptionsFrom(a);
        a.RejectUnknown();
        if (a.Positional.Count == 0) throw new UsageException("name the files, directories or globs to ingest");
        await using var engine = await SearchEngine.OpenAsync(options, ct);
        if (await engine.Store.CreateCollectionAsync(collection, ct)) Console.Error.WriteLine($"created collection '{collection}'");
        var paths = PathExpansion.Expand(a.Positional, engine.Ingestion.Extractors);
        if (paths.Count == 0) throw new ArgumentException("no files matched");
        var task = await engine.Store.CreateTaskAsync(collection, paths.ConvertAll(p => new TaskItemInput(TaskItemKind.Path, p)), ct);
        var bar = new ProgressBar("ingest");
        var final = await engine.Tasks.RunAsync(task.Id, new SyncProgress<TaskProgress>(p => bar.Report(p.Done + p.Failed, p.Total, p.Failed, p.CurrentItem)), ct);
        bar.Finish();
        Console.WriteLine($"task {final.Id}: {final.State.ToString().ToLowerInvariant()}, {final.Done} ingested, {final.Failed} failed, {final.Total} total");
        if (final.Failed == 0) return 0;
        foreach (var item in await engine.Store.GetTaskItemsAsync(final.Id, TaskItemState.Failed, 0, 1000, ct))
            await Console.Error.WriteLineAsync($"  failed: {item.Error}");
        return 2;
    }

    private static async Task<int> QueryAsync(CliArguments a, CancellationToken ct)
    {
        string collection = a.Require("collection");
        int k = a.GetInt("k", 10, 1, SearchService.MaxK);
        bool documents = a.Flag("documents"), json = a.Flag("json");
        string mode = ModeArgument(a);
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in a.GetAll("filter"))
        {
            int colon = f.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new UsageException($"--filter '{f}' must be key:value");
            filters[f[..colon]] = f[(colon + 1)..];
        }
        var options = EngineOptionsFrom(a);
        a.RejectUnknown();
        string text = string.Join(' ', a.Positional);
        if (string.IsNullOrWhiteSpace(text)) throw new UsageException("give the query text");
        await using var engine = await SearchEngine.OpenAsync(options, ct);
        var response = await engine.Search.SearchAsync(collection, new SearchRequest(text, k, documents, filters, mode), ct);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(response, WebJson));
            return 0;
        }
        if (response.Hits.Count == 0) Console.WriteLine("no results");
        foreach (var h in response.Hits)
        {
            string where = h.SectionPath.Length > 0 ? $" › {h.SectionPath}" : "";
            if (h.Chapter is { } chapter)
                where += $" › {chapter.Title}" + (chapter.StartSeconds is double cs ? $" ({FormatTime(cs)}–{FormatTime(chapter.EndSeconds ?? cs)})" : "");
            string time = h.StartSeconds is double s ? $" [{FormatTime(s)}–{FormatTime(h.EndSeconds ?? s)}]" : "";
            Console.WriteLine($"{h.Rank,3}. {h.Score:0.000}  {h.Title}{where}{time}  ({h.DocumentId} #{h.Segment})");
            string snippet = h.Text.Length > 300 ? h.Text[..300] + "…" : h.Text;
            Console.WriteLine("     " + snippet.Replace('\n', ' '));
        }
        return 0;
    }

    private static string FormatTime(double seconds) => TimeSpan.FromSeconds(seconds).ToString(seconds >= 3600 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);

    private static async Task<int> CollectionsAsync(CliArguments a, CancellationToken ct)
    {
        var options = EngineOptionsFrom(a);
        a.RejectUnknown();
        await using var engine = await SearchEngine.OpenAsync(options, ct);
        foreach (var c in await engine.Store.ListCollectionsAsync(ct)) Console.WriteLine($"{c.Name}\t{c.DocumentCount} documents");
        return 0;
    }

    private static async Task<int> TasksAsync(CliArguments a, CancellationToken ct)
    {
        var options = EngineOptionsFrom(a);
        a.RejectUnknown();
        await using var engine = await SearchEngine.OpenAsync(options, ct);
        if (a.Positional.Count > 0)
        {
            var view = await Endpoints.GetTaskView(engine, a.Positional[0], ct);
            var t = view.Task;
            Console.WriteLine($"{t.Id}  {t.Collection}  {t.State.ToString().ToLowerInvariant()}  {t.Done} done, {t.Failed} failed of {t.Total}{(t.Error is null ? "" : "  " + t.Error)}");
            foreach (var e in view.Errors) Console.WriteLine($"  item {e.Item}: {e.Error}");
            return 0;
        }
        foreach (var t in await engine.Store.ListTasksAsync(50, ct))
            Console.WriteLine($"{t.Id}  {t.Collection}  {t.State.ToString().ToLowerInvariant(),-9}  {t.Done + t.Failed}/{t.Total} ({t.Failed} failed)  {t.CreatedAt:u}");
        return 0;
    }

    private static async Task<int> ReindexAsync(CliArguments a, CancellationToken ct)
    {
        string collection = a.Require("collection");
        var options = EngineOptionsFrom(a);
        a.RejectUnknown();
        await using var engine = await SearchEngine.OpenAsync(options, ct);
        var (started, completion) = await engine.Indexes.StartReindexAsync(collection, ct);
        var bar = new ProgressBar($"reindex gen {started.Id}");
        while (!completion.IsCompleted)
        {
            var building = (await engine.Indexes.GenerationsAsync(collection, ct)).FirstOrDefault(g => g.Id == started.Id);
            if (building is not null) bar.Report((int)(building.Progress * 1000), 1000);
            await Task.WhenAny(completion, Task.Delay(100, ct));
        }
        var done = await completion;
        bar.Report(1000, 1000);
        bar.Finish();
        Console.WriteLine($"generation {done.Id} serves '{collection}': {done.Segments} segments, {done.SizeBytes / 1048576.0:0.0} MiB, change sequence {done.Sequence}");
        return 0;
    }

    private static int SegmentEval(CliArguments a)
    {
        string data = a.Require("data");
        string output = a.Require("out");
        string kind = a.Get("kind") ?? "auto";
        bool wordClasses = !a.Flag("no-word-classes");
        a.RejectUnknown();
        if (!File.Exists(data)) throw new UsageException($"--data {data}: no such file");
        Segmentation.Topics.SegmentEvaluation.OptionsFor(kind); // rejects an unknown kind before any work
        var learning = System.Diagnostics.Stopwatch.StartNew();
        // The file is the collection: its word classes are learned from it as ingestion learns a collection's.
        var r = Segmentation.Topics.SegmentEvaluation.Run(data, output, kind, !wordClasses ? null : documents =>
        {
            var classes = Indexing.Embeddings.WordClassLearner.Learn(documents, Segmentation.Analysis.Analyzer.English);
            Console.Error.WriteLine($"{classes?.Count ?? 0} word classes over {classes?.Words ?? 0} words learned from the file in {learning.Elapsed.TotalSeconds:0.0} s");
            return classes;
        });
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

    private static async Task<int> BenchAsync(CliArguments a, CancellationToken ct)
    {
        string what = a.Positional.Count > 0 ? a.Positional[0] : throw new UsageException("name a benchmark: lexical, attention, vectors, embeddings");
        if (what == "attention") return Bench.AttentionBenchmark.Run(a);
        if (what == "vectors") return Bench.VectorBenchmark.Run(a);
        if (what == "embeddings") return Bench.EmbeddingBenchmark.Run(a);
        int docs = a.GetInt("docs", 1_000_000, 1, 100_000_000);
        int seed = a.GetInt("seed", 42, int.MinValue, int.MaxValue);
        int queries = a.GetInt("queries", 1000, 1, 1_000_000);
        bool lucene = !a.Flag("no-lucene");
        a.RejectUnknown();
        if (what != "lexical") throw new UsageException($"unknown benchmark '{what}'; available: lexical, attention, vectors, embeddings");
        Console.WriteLine(await Bench.LexicalBenchmark.RunAsync(docs, seed, queries, lucene, Console.Error, ct));
        return 0;
    }

    /// <summary>The arguments eval and eval-spans share: a data folder that exists, a mode, a run file and scratch engine options.</summary>
    private static (string Data, string Mode, string RunPath, EngineOptions Options) EvalArguments(CliArguments a)
    {
        string data = a.Require("data");
        string mode = ModeArgument(a);
        string runPath = a.Require("run");
        var options = EngineOptionsFrom(a, durable: false);
        a.RejectUnknown();
        if (!Directory.Exists(data)) throw new UsageException($"--data {data}: no such folder");
        return (data, mode, runPath, options);
    }

    private static async Task<int> EvalSpansAsync(CliArguments a, CancellationToken ct)
    {
        var (data, mode, runPath, baseOptions) = EvalArguments(a);
        foreach (var file in new[] { "documents.jsonl", "queries.jsonl", "qrels.jsonl" })
            if (!File.Exists(Path.Combine(data, file))) throw new UsageException($"--data {data}: {file} is missing");
        return await WithScratchEngineAsync(baseOptions, async engine =>
        {
            var bar = new ProgressBar("eval-spans: ingest");
            SpanEvaluationReport report;
            try
            {
                report = await SpanEvaluator.RunAsync(engine, data, mode, runPath, new SyncProgress<(int Done, int Total)>(p => bar.Report(p.Done, p.Total)), ct);
            }
            catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or Indexing.Extraction.ExtractionException)
            {
                throw new UsageException($"--data {data}: {e.Message}");
            }
            bar.Finish();
            await Console.Error.WriteLineAsync($"{report.Documents} documents, {report.Segments} segments, {report.Metrics.Queries} queries; run written to {runPath}");
            Console.WriteLine(SpanEvaluator.ToJson(report));
        }, ct);
    }

    private static async Task<int> EvalAsync(CliArguments a, CancellationToken ct)
    {
        var (data, mode, runPath, baseOptions) = EvalArguments(a);
        var dataset = BeirDataset.Load(data);
        return await WithScratchEngineAsync(baseOptions, async engine =>
        {
            var bar = new ProgressBar("eval: ingest");
            var report = await BeirEvaluator.RunAsync(engine, dataset, mode, runPath, new SyncProgress<(int Done, int Total)>(p => bar.Report(p.Done, p.Total)), ct);
            bar.Finish();
            await Console.Error.WriteLineAsync($"{report.Documents} documents, {report.Segments} segments, {report.Metrics.Queries} judged queries; run written to {runPath}");
            Console.WriteLine(BeirEvaluator.ToJson(report));
        }, ct);
    }

    // An evaluation runs in a fresh embedded store in a temporary folder: it never touches the user's data.
    private static async Task<int> WithScratchEngineAsync(EngineOptions baseOptions, Func<SearchEngine, Task> run, CancellationToken ct)
    {
        string temp = Path.Combine(Path.GetTempPath(), "search-eval-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var engine = await SearchEngine.OpenAsync(baseOptions with { Store = StoreKind.Sqlite, DataDirectory = temp }, ct);
            await run(engine);
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
    }

    private static string ModeArgument(CliArguments a)
    {
        string mode = a.Get("mode") ?? SearchModes.Bm25;
        if (!SearchModes.All.Contains(mode)) throw new UsageException($"unknown --mode '{mode}'; supported: {string.Join(", ", SearchModes.All)}");
        return mode;
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
