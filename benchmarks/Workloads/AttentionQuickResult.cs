namespace Search.Benchmarks.Workloads;

/// <summary>
/// What <see cref="AttentionQuickBenchmark"/> measured: median times in ms, throughput in GFLOP/s, managed bytes
/// allocated per run and the managed heap growth seen during the runs (peak over the run's inputs), and the ratios;
/// SparseFlopsOverCachedFlops is (b)'s work over (c)'s, the speed-up (c) would show at equal efficiency.
/// </summary>
public sealed record AttentionQuickResult(
    int Documents, int Tokens, int Cores,
    double DenseMs, double SparseMs, double CachedMs, double CachedMassesOnlyMs, double MatMulMs,
    double DenseGflops, double SparseGflops, double CachedGflops, double MatMulGflops,
    long DenseAllocatedBytes, long SparseAllocatedBytes, long CachedAllocatedBytes,
    long DensePeakManagedBytes, long SparsePeakManagedBytes, long CachedPeakManagedBytes,
    double SparseVsDenseAt100, double CachedVsSparseAt100, double SparseFlopsOverCachedFlops)
{
    /// <summary>How much faster scoring-only (masses, no output) against the cache is than the block-sparse prefill.</summary>
    public double CachedMassesOnlyVsSparse => SparseMs / CachedMassesOnlyMs;

    /// <summary>Dense attention throughput as a fraction of the matmul baseline's.</summary>
    public double DenseVsMatMul => DenseGflops / MatMulGflops;

    /// <summary>Block-sparse attention throughput as a fraction of the matmul baseline's.</summary>
    public double SparseVsMatMul => SparseGflops / MatMulGflops;

    /// <summary>Cached-query attention throughput as a fraction of the matmul baseline's.</summary>
    public double CachedVsMatMul => CachedGflops / MatMulGflops;
}
