using System.Diagnostics;

namespace Search.GpuAttention.Benchmarking;

/// <summary>
/// A quick timing of the N = 100 BlockRank case without BenchmarkDotNet: warm-up, then the median of repeated runs
/// of (a) dense causal, (b) block-sparse BlockRank and (c) query against cached K/V, plus the matmul baseline.
/// </summary>
public static class AttentionQuickBenchmark
{
    /// <summary>Runs the comparison at <paramref name="documents"/> document blocks; progress goes to <paramref name="log"/>.</summary>
    public static AttentionQuickResult Run(int documents = 100, TextWriter? log = null, IAttentionBackend? backend = null, int seed = 42)
    {
        var workload = new BlockRankWorkload(documents, backend, seed);
        log?.WriteLine($"attention: {documents} documents × {BlockRankWorkload.BlockTokens} tokens, {BlockRankWorkload.Heads} heads × {BlockRankWorkload.HeadDim}, {workload.Tokens} tokens in context, {Environment.ProcessorCount} cores");
        // Dense is ~30× the others, so it gets fewer repetitions to keep the whole run well under a minute.
        var dense = Measure("dense causal", workload.DenseCausal, repetitions: 3, log);
        var sparse = Measure("block-sparse", () => workload.BlockSparse(), repetitions: 9, log);
        var cached = Measure("cached query", () => workload.CachedQuery(), repetitions: 21, log);
        var massesOnly = Measure("cached masses", () => workload.CachedQueryMassesOnly(), repetitions: 21, log);
        var matmul = Measure("matmul baseline", workload.MatMul, repetitions: 9, log);
        double Gflops(double flops, double ms) => flops / (ms * 1e6);
        double matmulGflops = Gflops(workload.MatMulFlops, matmul.MedianMs);
        return new AttentionQuickResult(
            documents, workload.Tokens, Environment.ProcessorCount,
            dense.MedianMs, sparse.MedianMs, cached.MedianMs, massesOnly.MedianMs, matmul.MedianMs,
            Gflops(workload.DenseFlops, dense.MedianMs), Gflops(workload.SparseFlops, sparse.MedianMs), Gflops(workload.CachedFlops, cached.MedianMs), matmulGflops,
            dense.AllocatedBytes, sparse.AllocatedBytes, cached.AllocatedBytes,
            dense.PeakManagedBytes, sparse.PeakManagedBytes, cached.PeakManagedBytes,
            SparseVsDenseAt100: dense.MedianMs / sparse.MedianMs,
            CachedVsSparseAt100: sparse.MedianMs / cached.MedianMs,
            SparseFlopsOverCachedFlops: workload.SparseFlops / workload.CachedFlops);
    }

    private readonly record struct Measurement(double MedianMs, long AllocatedBytes, long PeakManagedBytes);

    private static Measurement Measure(string name, Action action, int repetitions, TextWriter? log)
    {
        action(); // warm-up: JIT (tiered up by the loops' AggressiveOptimization), thread pool, caches
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        var times = new double[repetitions];
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[i] = clock.Elapsed.TotalMilliseconds;
            peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false) - baseline);
        }
        long allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / repetitions;
        Array.Sort(times);
        double median = times[repetitions / 2];
        log?.WriteLine($"  {name,-16} median {median,10:0.###} ms  (min {times[0]:0.###}, max {times[^1]:0.###}, {repetitions} runs), {allocated / 1024.0:0.#} KiB allocated per run");
        return new Measurement(median, allocated, Math.Max(peak, 0));
    }
}
