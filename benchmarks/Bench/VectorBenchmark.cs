using System.Diagnostics;
using System.Text.Json;
using Search.Benchmarks.Workloads;
using Search.Indexing.Vectors;

namespace Search.Benchmarks;

/// <summary>
/// <c>./search bench vectors</c>: builds the managed exact index and FAISS Flat / HNSW / IVF on one set of
/// clustered unit vectors and reports build time, single-thread query latency and recall@10 against exact;
/// the last line is JSON.
/// </summary>
public static class VectorBenchmark
{
    private const int K = 10;
    // The shim's scalar path is slow enough that a sample of queries tells its latency.
    private const int ScalarQueries = 100;

    private sealed record Row(string Name, double BuildSeconds, double P50, double P99, double Recall, int Queries);

    /// <summary>Runs every configuration; returns the JSON summary.</summary>
    public static string Execute(int n, int dim, int queries, int clusters, int seed, bool withIvf, TextWriter log)
    {
        float noise = 0.7f / MathF.Sqrt(dim);
        log.WriteLine($"data: {n:N0} × {dim} clustered unit vectors ({clusters} centres, noise {noise:0.###}/coordinate), {queries} queries, seed {seed}; SIMD shim active: {FaissVectorIndex.SimdActive}");
        var generator = new ClusteredVectors(dim, clusters, noise, seed);
        var data = generator.Next(n);
        var queryData = generator.Next(queries);
        var ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = i;
        var rows = new List<Row>();

        long[][] truth;
        using (var exact = new ExactVectorIndex(dim, n))
        {
            double build = Build(exact, ids, data);
            exact.MaxDegreeOfParallelism = Environment.ProcessorCount;
            truth = Answers(exact, queryData, dim, queries, out var parallelTimes);
            rows.Add(Measure("exact (managed, all cores)", build, parallelTimes, truth, truth));
            exact.MaxDegreeOfParallelism = 1;
            var times = Time(exact, queryData, dim, queries, out var top);
            rows.Add(Measure("exact (managed, 1 core)", build, times, top, truth));
            log.WriteLine(Format(rows[^2]));
            log.WriteLine(Format(rows[^1]));
        }

        using (var flat = FaissVectorIndex.Create("Flat", dim))
        {
            double build = Build(flat, ids, data);
            FaissVectorIndex.SimdEnabled = true;
            rows.Add(Measure("faiss Flat (SIMD shim)", build, Time(flat, queryData, dim, queries, out var top), top, truth));
            log.WriteLine(Format(rows[^1]));
            FaissVectorIndex.SimdEnabled = false;
            try
            {
                int sample = Math.Min(queries, ScalarQueries);
                rows.Add(Measure("faiss Flat (scalar)", build, Time(flat, queryData, dim, sample, out top), top, truth));
                log.WriteLine(Format(rows[^1]));
            }
            finally
            {
                FaissVectorIndex.SimdEnabled = true;
            }
        }

        using (var hnsw = FaissVectorIndex.Create("HNSW32,Flat", dim))
        {
            double build = Build(hnsw, ids, data);
            foreach (int ef in new[] { 32, 64, 128 })
            {
                hnsw.EfSearch = ef;
                rows.Add(Measure($"faiss HNSW32 ef{ef}", build, Time(hnsw, queryData, dim, queries, out var top), top, truth));
                log.WriteLine(Format(rows[^1]));
            }
        }

        if (withIvf)
        {
            int lists = Math.Max(16, (int)(4 * Math.Sqrt(n)));
            using var ivf = FaissVectorIndex.Create($"IVF{lists},Flat", dim);
            double build = Build(ivf, ids, data);
            foreach (int probes in new[] { 8, 32 })
            {
                ivf.Nprobe = probes;
                rows.Add(Measure($"faiss IVF{lists},Flat nprobe{probes}", build, Time(ivf, queryData, dim, queries, out var top), top, truth));
                log.WriteLine(Format(rows[^1]));
            }
        }
        return Summary(n, dim, queries, clusters, rows);
    }

    private static double Build(IVectorIndex index, long[] ids, float[] data)
    {
        var clock = Stopwatch.StartNew();
        index.Add(ids, data);
        return clock.Elapsed.TotalSeconds;
    }

    private static long[][] Answers(IVectorIndex index, float[] queryData, int dim, int queries, out double[] times)
    {
        times = Time(index, queryData, dim, queries, out var top);
        return top;
    }

    private static double[] Time(IVectorIndex index, float[] queryData, int dim, int queries, out long[][] top)
    {
        var ids = new long[K];
        var scores = new float[K];
        for (int q = 0; q < Math.Min(queries, 20); q++) index.Search(queryData.AsSpan(q * dim, dim), K, ids, scores); // warm-up
        var times = new double[queries];
        top = new long[queries][];
        for (int q = 0; q < queries; q++)
        {
            long start = Stopwatch.GetTimestamp();
            int found = index.Search(queryData.AsSpan(q * dim, dim), K, ids, scores);
            times[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            top[q] = ids[..found];
        }
        return times;
    }

    private static Row Measure(string name, double build, double[] times, long[][] top, long[][] truth)
    {
        double recall = 0;
        for (int q = 0; q < top.Length; q++)
        {
            int hits = 0;
            foreach (long id in top[q])
                if (Array.IndexOf(truth[q], id) >= 0) hits++;
            recall += (double)hits / Math.Max(1, truth[q].Length);
        }
        return new Row(name, build, Percentile(times, 0.5), Percentile(times, 0.99), recall / Math.Max(1, top.Length), top.Length);
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
    }

    private static string Format(Row r) =>
        $"{r.Name,-32} build {r.BuildSeconds,8:0.00} s   p50 {r.P50,8:0.000} ms   p99 {r.P99,8:0.000} ms   recall@10 {r.Recall,6:0.0000}   ({r.Queries} queries)";

    private static string Summary(int n, int dim, int queries, int clusters, List<Row> rows)
    {
        var configs = new List<Dictionary<string, object>>();
        foreach (var r in rows)
        {
            configs.Add(new Dictionary<string, object>
            {
                ["name"] = r.Name,
                ["build_s"] = Math.Round(r.BuildSeconds, 3),
                ["p50_ms"] = Math.Round(r.P50, 4),
                ["p99_ms"] = Math.Round(r.P99, 4),
                ["recall_at_10"] = Math.Round(r.Recall, 4),
                ["queries"] = r.Queries,
            });
        }
        var summary = new Dictionary<string, object>
        {
            ["n"] = n,
            ["dim"] = dim,
            ["queries"] = queries,
            ["clusters"] = clusters,
            ["cores"] = Environment.ProcessorCount,
            ["simd_shim"] = FaissVectorIndex.SimdActive,
            ["configs"] = configs,
        };
        return JsonSerializer.Serialize(summary);
    }
}
