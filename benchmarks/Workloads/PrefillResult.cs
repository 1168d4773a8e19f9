namespace Search.Benchmarks.Workloads;

/// <summary>What <see cref="PrefillBenchmark"/> measured: median ms of the one-pass prefill and of the query against the
/// cache, the untimed encoding of the documents, the largest difference between the two runs' masses, and the ratio of
/// their floating-point work (the speed-up at equal efficiency).</summary>
public sealed record PrefillResult(int Documents, int Tokens, int Layers, double FullMs, double CachedMs, double EncodeMs, float MaxMassDifference, double FullFlopsOverCachedFlops)
{
    /// <summary>How much faster the query against cached documents is than prefilling the whole prompt.</summary>
    public double CachedVsFull => FullMs / CachedMs;
}
