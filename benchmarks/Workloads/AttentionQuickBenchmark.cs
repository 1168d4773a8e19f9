using Search.GpuAttention;
using System.Diagnostics;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// A quick timing of the N = 100 BlockRank case without BenchmarkDotNet: warm-up, then the median of repeated runs
/// of (a) dense causal, (b) block-sparse BlockRank and (c) query against cached K/V, plus the matmul baseline.
/// </summary>
public static class AttentionQuickBenchmark
{
    private const int Rounds = 3;

    /// <summary>Runs the comparison at <paramref name="documents"/> document blocks; progress goes to <paramref name="log"/>.</summary>
    public static AttentionQuickResult Run(int documents = 100, TextWriter? log = null, IAttentionBackend? backend = null, int seed = 42)
    {
        var workload = new BlockRankWorkload(documents, backend, seed);
        log?.WriteLine($"attention: {documents} documents × {BlockRankWorkload.BlockTokens} tokens, {BlockRankWorkload.Heads} heads × {BlockRankWorkload.HeadDim}, {workload.Tokens} tokens in context, {Environment.ProcessorCount} cores");
        var cases = new[]
        {
            // Dense costs ~30× the others, so it runs once per round and the cheap cases several times.
            new Case("dense causal", workload.DenseCausal, 1),
            new Case("block-sparse", () => workload.BlockSparse(), 3),
            new Case("cached query", () => workload.CachedQuery(), 7),
            new Case("cached masses", () => workload.CachedQueryMassesOnly(), 7),
            new Case("matmul baseline", workload.MatMul, 3),
        };
        foreach (var c in cases) c.WarmUp();
        // Rounds interleave the cases so that load from other processes on a shared machine hits them alike.
        for (int round = 0; round < Rounds; round++)
            foreach (var c in cases) c.Measure();
        foreach (var c in cases) c.Report(log);
        var (dense, sparse, cached, massesOnly, matmul) = (cases[0], cases[1], cases[2], cases[3], cases[4]);
        double Gflops(double flops, double ms) => flops / (ms * 1e6);
        return new AttentionQuickResult(
            documents, workload.Tokens, Environment.ProcessorCount,
            dense.MedianMs, sparse.MedianMs, cached.MedianMs, massesOnly.MedianMs, matmul.MedianMs,
            Gflops(workload.DenseFlops, dense.MedianMs), Gflops(workload.SparseFlops, sparse.MedianMs), Gflops(workload.CachedFlops, cached.MedianMs),
            Gflops(workload.MatMulFlops, matmul.MedianMs),
            dense.AllocatedBytes, sparse.AllocatedBytes, cached.AllocatedBytes,
            dense.PeakManagedBytes, sparse.PeakManagedBytes, cached.PeakManagedBytes,
            SparseVsDenseAt100: dense.MedianMs / sparse.MedianMs,
            CachedVsSparseAt100: sparse.MedianMs / cached.MedianMs,
            SparseFlopsOverCachedFlops: workload.SparseFlops / workload.CachedFlops);
    }

    /// <summary>One timed case: its samples, bytes allocated per run and managed heap growth over the warm state.</summary>
    private sealed class Case(string name, Action action, int runsPerRound)
    {
        private readonly List<double> _times = [];
        private long _allocated, _baseline;

        public long PeakManagedBytes { get; private set; }

        public long AllocatedBytes => _times.Count == 0 ? 0 : _allocated / _times.Count;

        public double MedianMs
        {
            get
            {
                var sorted = _times.ToArray();
                Array.Sort(sorted);
                return sorted[sorted.Length / 2];
            }
        }

        public void WarmUp()
        {
            action(); // JIT, thread pool, thread-local scratch
            GC.Collect();
            GC.WaitForPendingFinalizers();
            _baseline = GC.GetTotalMemory(forceFullCollection: true);
        }

        public void Measure()
        {
            for (int i = 0; i < runsPerRound; i++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                action();
                _times.Add(clock.Elapsed.TotalMilliseconds);
                _allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
                PeakManagedBytes = Math.Max(PeakManagedBytes, GC.GetTotalMemory(forceFullCollection: false) - _baseline);
            }
        }

        public void Report(TextWriter? log)
        {
            if (log is null) return;
            var sorted = _times.ToArray();
            Array.Sort(sorted);
            log.WriteLine($"  {name,-16} median {MedianMs,10:0.###} ms  (min {sorted[0]:0.###}, max {sorted[^1]:0.###}, {sorted.Length} runs), {AllocatedBytes / 1024.0:0.#} KiB allocated per run");
        }
    }
}
