using Search.Benchmarks.Workloads;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Search.Segmentation.Analysis;
using Search.Indexing.Lexical;

namespace Search.Benchmarks;

/// <summary>
/// <c>./search bench lexical</c>: builds our engine and Lucene 8.8 on the same synthetic corpus in one
/// run, times OR and AND top-10 queries on both, checks pruned results against exhaustive scoring and
/// against Lucene's, and prints the ratios; the last line is JSON.
/// </summary>
public static class LexicalBenchmark
{
    private const double K1 = 1.2, B = 0.75;
    // Memory for inverting documents before a segment is cut: the same 1 GB the Lucene harness gives its IndexWriter.
    private const long BufferBytes = 1L << 30;

    /// <summary>Runs the benchmark, against Lucene through <paramref name="luceneScript"/> (benchmarks/lucene/run.sh) unless it is null; returns the JSON summary.</summary>
    public static async Task<string> RunAsync(int documents, int seed, int queries, string? luceneScript, TextWriter log, CancellationToken ct)
    {
        string work = Path.Combine(Path.GetTempPath(), "search-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            string docsPath = Path.Combine(work, "docs.txt"), queriesPath = Path.Combine(work, "queries.txt");
            log.WriteLine($"corpus: {documents:N0} documents, {queries} queries, seed {seed} → {work}");
            var corpus = new SyntheticCorpus(seed);
            corpus.WriteDocuments(docsPath, documents);
            corpus.WriteQueries(queriesPath, queries);
            var queryTexts = File.ReadAllLines(queriesPath);

            var ours = RunOurs(docsPath, queryTexts, Path.Combine(work, "ours"), log, ct);
            LuceneResult? lucene = null;
            if (luceneScript is not null)
            {
                log.WriteLine("lucene: building and querying (benchmarks/lucene/run.sh)…");
                lucene = await RunLuceneAsync(luceneScript, docsPath, queriesPath, Path.Combine(work, "lucene"), Path.Combine(work, "lucene-results.txt"), ct);
            }
            return Report(documents, queries, ours, lucene, log);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private sealed record OursResult(double BuildSeconds, long Bytes, long PeakBytes, double[] Or, double[] And, double ExhaustiveEqual, List<long[]> OrTop, List<long[]> AndTop);

    private sealed record LuceneResult(double BuildSeconds, long Bytes, double OrP50, double OrP95, double OrP99, double AndP50, double AndP95, double AndP99, List<long[]> OrTop, List<long[]> AndTop);

    private static OursResult RunOurs(string docsPath, string[] queries, string directory, TextWriter log, CancellationToken ct)
    {
        var analyzer = new Analyzer(new HashSet<string>(), stem: false);
        var parameters = new Bm25Parameters(K1, B);
        var clock = Stopwatch.StartNew();
        using var index = LexicalIndex.Open(directory, analyzer, parameters);
        long id = 0;
        var applying = Stopwatch.StartNew();
        using (var load = index.StartBulkLoad(BufferBytes))
        {
            foreach (var line in File.ReadLines(docsPath))
            {
                load.Add(new IndexedDocument(id++, "", [new IndexedSegment(0, "", line)]));
                if ((id & 0xFFFF) == 0) ct.ThrowIfCancellationRequested();
            }
        }
        applying.Stop();
        var merging = Stopwatch.StartNew();
        index.ForceMerge();
        merging.Stop();
        var committing = Stopwatch.StartNew();
        index.Commit(1);
        double build = clock.Elapsed.TotalSeconds;
        log.WriteLine($"ours: segments built in {applying.Elapsed.TotalSeconds:0.00} s, merged in {merging.Elapsed.TotalSeconds:0.00} s, committed in {committing.Elapsed.TotalSeconds:0.00} s");
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        long bytes = Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length);
        log.WriteLine($"ours: built {id:N0} documents in {build:0.00} s, {bytes / 1048576.0:0.0} MiB, {index.IndexSegmentCount} segment(s)");

        var or = Time(index, queries, false, out var orTop);
        var and = Time(index, queries, true, out var andTop);
        int equal = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            var exhaustive = index.Search(new LexicalQuery(queries[q], 10, Exhaustive: true));
            var pruned = index.Search(new LexicalQuery(queries[q], 10));
            if (exhaustive.SequenceEqual(pruned)) equal++;
        }
        return new OursResult(build, bytes, peak, or, and, (double)equal / queries.Length, orTop, andTop);
    }

    private static double[] Time(LexicalIndex index, string[] queries, bool and, out List<long[]> top)
    {
        foreach (var q in queries) index.Search(new LexicalQuery(q, 10, RequireAllTerms: and)); // warm-up
        var times = new double[queries.Length];
        top = new List<long[]>(queries.Length);
        for (int i = 0; i < queries.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            var hits = index.Search(new LexicalQuery(queries[i], 10, RequireAllTerms: and));
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            top.Add(hits.Select(h => h.DocumentId).ToArray());
        }
        return times;
    }

    private static async Task<LuceneResult> RunLuceneAsync(string script, string docs, string queries, string indexDir, string results, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, docs, queries, indexDir, results, K1.ToString(CultureInfo.InvariantCulture), B.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        // Neither engine stores positions: the comparison is BM25 over docs and frequencies.
        psi.Environment["LUCENE_BENCH_JAVA_OPTS"] = "-Xmx8g -Dlucenebench.positions=false";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0) throw new InvalidOperationException($"the Lucene benchmark failed (exit {p.ExitCode}): {(await stderr).Trim()}");
        string last = (await stdout).TrimEnd().Split('\n')[^1];
        using var json = JsonDocument.Parse(last);
        var r = json.RootElement;
        var orTop = new List<long[]>();
        var andTop = new List<long[]>();
        foreach (var group in File.ReadLines(results).Select(l => l.Split(' ')).GroupBy(x => (x[0], int.Parse(x[1], CultureInfo.InvariantCulture))))
        {
            var list = group.Key.Item1 == "OR" ? orTop : andTop;
            while (list.Count < group.Key.Item2) list.Add([]);
            list.Add(group.Select(x => long.Parse(x[2], CultureInfo.InvariantCulture)).ToArray());
        }
        return new LuceneResult(r.GetProperty("build_s").GetDouble(), r.GetProperty("bytes").GetInt64(),
            r.GetProperty("or_p50_ms").GetDouble(), r.GetProperty("or_p95_ms").GetDouble(), r.GetProperty("or_p99_ms").GetDouble(),
            r.GetProperty("and_p50_ms").GetDouble(), r.GetProperty("and_p95_ms").GetDouble(), r.GetProperty("and_p99_ms").GetDouble(), orTop, andTop);
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
    }

    private static double Overlap(List<long[]> a, List<long[]> b)
    {
        double sum = 0;
        int n = Math.Min(a.Count, b.Count);
        for (int i = 0; i < n; i++)
        {
            int denominator = Math.Max(a[i].Length, b[i].Length);
            sum += denominator == 0 ? 1 : (double)a[i].Intersect(b[i]).Count() / denominator;
        }
        return n == 0 ? 0 : sum / n;
    }

    private static string Report(int documents, int queries, OursResult o, LuceneResult? l, TextWriter log)
    {
        double Ratio(double ours, double? theirs) => theirs is > 0 ? Math.Round(ours / theirs.Value, 3) : double.NaN;
        var summary = new Dictionary<string, object?>
        {
            ["docs"] = documents,
            ["queries"] = queries,
            ["ours_build_s"] = Math.Round(o.BuildSeconds, 2),
            ["ours_bytes"] = o.Bytes,
            ["ours_peak_bytes"] = o.PeakBytes,
            ["ours_p50_ms"] = Math.Round(Percentile(o.Or, 0.5), 3),
            ["ours_p95_ms"] = Math.Round(Percentile(o.Or, 0.95), 3),
            ["ours_p99_ms"] = Math.Round(Percentile(o.Or, 0.99), 3),
            ["ours_and_p50_ms"] = Math.Round(Percentile(o.And, 0.5), 3),
            ["ours_and_p95_ms"] = Math.Round(Percentile(o.And, 0.95), 3),
            ["ours_and_p99_ms"] = Math.Round(Percentile(o.And, 0.99), 3),
            ["top10_equal_exhaustive"] = o.ExhaustiveEqual,
        };
        if (l is not null)
        {
            summary["lucene_build_s"] = Math.Round(l.BuildSeconds, 2);
            summary["lucene_bytes"] = l.Bytes;
            summary["lucene_p50_ms"] = l.OrP50;
            summary["lucene_p95_ms"] = l.OrP95;
            summary["lucene_p99_ms"] = l.OrP99;
            summary["lucene_and_p50_ms"] = l.AndP50;
            summary["lucene_and_p95_ms"] = l.AndP95;
            summary["lucene_and_p99_ms"] = l.AndP99;
            summary["ratio_build"] = Ratio(o.BuildSeconds, l.BuildSeconds);
            summary["ratio_bytes"] = Ratio(o.Bytes, l.Bytes);
            summary["ratio_p50"] = Ratio(Percentile(o.Or, 0.5), l.OrP50);
            summary["ratio_p99"] = Ratio(Percentile(o.Or, 0.99), l.OrP99);
            summary["ratio_and_p50"] = Ratio(Percentile(o.And, 0.5), l.AndP50);
            summary["ratio_and_p99"] = Ratio(Percentile(o.And, 0.99), l.AndP99);
            summary["top10_overlap_lucene"] = Math.Round(Overlap(o.OrTop, l.OrTop), 4);
            summary["top10_overlap_lucene_and"] = Math.Round(Overlap(o.AndTop, l.AndTop), 4);
            log.WriteLine($"{"",-10}{"ours",12}{"lucene",12}{"ours/lucene",14}");
            void Row(string name, double a, double b) => log.WriteLine($"{name,-10}{a,12:0.###}{b,12:0.###}{a / b,14:0.###}");
            Row("build s", o.BuildSeconds, l.BuildSeconds);
            Row("MiB", o.Bytes / 1048576.0, l.Bytes / 1048576.0);
            Row("OR p50", Percentile(o.Or, 0.5), l.OrP50);
            Row("OR p95", Percentile(o.Or, 0.95), l.OrP95);
            Row("OR p99", Percentile(o.Or, 0.99), l.OrP99);
            Row("AND p50", Percentile(o.And, 0.5), l.AndP50);
            Row("AND p99", Percentile(o.And, 0.99), l.AndP99);
            log.WriteLine($"top-10 overlap with Lucene: OR {summary["top10_overlap_lucene"]}, AND {summary["top10_overlap_lucene_and"]} (Lucene stores lengths in one lossy byte; we keep exact lengths)");
        }
        log.WriteLine($"pruned top-10 equal to exhaustive: {o.ExhaustiveEqual:P1}");
        return JsonSerializer.Serialize(summary);
    }
}
