using System.Globalization;
using System.Text.Json;
using Search.Benchmarks.Workloads;
using Search.GpuAttention.Ilgpu;

namespace Search.Benchmarks;

/// <summary>
/// <c>./search bench attention [--quick]</c>: times dense, block-sparse BlockRank and cached-query attention at
/// N = 100 document blocks, then the same comparison through a whole decoder (one-pass prefill vs query against cached
/// documents), and without --quick block-sparse and cached scaling over N; the last line is JSON.
/// </summary>
public static class AttentionBenchmark
{
    private static readonly int[] ScalingDocuments = [10, 50, 100, 200, 500];

    /// <summary>
    /// Two layers rather than a small model's usual four keep the quick bench under a minute on two shared cores; both
    /// paths cost the same per layer, so depth hardly moves their ratio.
    /// </summary>
    public const int DefaultPrefillLayers = 2;

    /// <summary>
    /// Runs at <paramref name="documents"/> blocks on the chosen device, writing the report to <paramref name="log"/>;
    /// returns the JSON summary. CUDA asked for on a machine without it throws <see cref="DeviceUnavailableException"/>.
    /// </summary>
    public static string Run(DeviceChoice device, int documents, int prefillLayers, bool quick, TextWriter log)
    {
        if (device != DeviceChoice.Cpu)
        {
            var backend = AttentionDevices.Open(device);
            if (backend is IlgpuAttentionBackend gpu)
            {
                using (gpu) return AttentionDeviceBenchmark.Run(gpu, documents, quick, log);
            }
            log.WriteLine("no CUDA device answered; running on the CPU");
        }
        var result = AttentionQuickBenchmark.Run(documents, log);
        var summary = new Dictionary<string, object>
        {
            ["documents"] = result.Documents,
            ["tokens"] = result.Tokens,
            ["cores"] = result.Cores,
            ["dense_ms"] = Math.Round(result.DenseMs, 3),
            ["sparse_ms"] = Math.Round(result.SparseMs, 3),
            ["cached_ms"] = Math.Round(result.CachedMs, 3),
            ["cached_masses_only_ms"] = Math.Round(result.CachedMassesOnlyMs, 3),
            ["matmul_ms"] = Math.Round(result.MatMulMs, 3),
            ["dense_gflops"] = Math.Round(result.DenseGflops, 2),
            ["sparse_gflops"] = Math.Round(result.SparseGflops, 2),
            ["cached_gflops"] = Math.Round(result.CachedGflops, 2),
            ["matmul_gflops"] = Math.Round(result.MatMulGflops, 2),
            ["dense_vs_matmul"] = Math.Round(result.DenseVsMatMul, 3),
            ["sparse_vs_matmul"] = Math.Round(result.SparseVsMatMul, 3),
            ["cached_vs_matmul"] = Math.Round(result.CachedVsMatMul, 3),
            ["dense_allocated_bytes"] = result.DenseAllocatedBytes,
            ["sparse_allocated_bytes"] = result.SparseAllocatedBytes,
            ["cached_allocated_bytes"] = result.CachedAllocatedBytes,
            ["dense_peak_managed_bytes"] = result.DensePeakManagedBytes,
            ["sparse_peak_managed_bytes"] = result.SparsePeakManagedBytes,
            ["cached_peak_managed_bytes"] = result.CachedPeakManagedBytes,
            ["sparse_vs_dense_at_100"] = Math.Round(result.SparseVsDenseAt100, 2),
            ["cached_vs_sparse_at_100"] = Math.Round(result.CachedVsSparseAt100, 2),
            ["cached_masses_only_vs_sparse_at_100"] = Math.Round(result.CachedMassesOnlyVsSparse, 2),
            ["flops_bound_cached_vs_sparse"] = Math.Round(result.SparseFlopsOverCachedFlops, 2),
        };
        log.WriteLine($"(b) block-sparse is {result.SparseVsDenseAt100:0.0}× faster than (a) dense; (c) cached query is {result.CachedVsSparseAt100:0.0}× faster than (b); " +
            $"throughput vs matmul: dense {result.DenseVsMatMul:P0}, sparse {result.SparseVsMatMul:P0}, cached {result.CachedVsMatMul:P0}");
        // Attention alone cannot show the cached path's saving: a cached document also skips its projections and MLP.
        var prefill = PrefillBenchmark.Run(documents, prefillLayers, log);
        summary["prefill_full_ms_at_100"] = Math.Round(prefill.FullMs, 3);
        summary["prefill_cached_ms_at_100"] = Math.Round(prefill.CachedMs, 3);
        summary["cached_vs_full_prefill_at_100"] = Math.Round(prefill.CachedVsFull, 2);
        summary["prefill_layers"] = prefill.Layers;
        summary["prefill_masses_max_abs_diff"] = prefill.MaxMassDifference;
        summary["flops_bound_cached_vs_full_prefill"] = Math.Round(prefill.FullFlopsOverCachedFlops, 2);
        log.WriteLine($"model level ({prefill.Layers}-layer random-weight Llama, hidden 512{(prefill.Layers < 4 ? ", layers reduced from 4 to keep the quick bench short" : "")}): query against cached documents {prefill.CachedMs:0.#} ms is " +
            $"{prefill.CachedVsFull:0.0}× faster than the one-pass BlockRank prefill {prefill.FullMs:0} ms, same masses (max abs difference {prefill.MaxMassDifference:E1})");
        if (!quick)
        {
            // Scaling in N: block-sparse and cached work grow linearly with the number of documents; dense grows quadratically and is left out.
            var sparseMs = new Dictionary<string, double>();
            var cachedMs = new Dictionary<string, double>();
            foreach (var (n, sparse, cached) in AttentionScaling.Run(ScalingDocuments, log: log))
            {
                string key = n.ToString(CultureInfo.InvariantCulture);
                sparseMs[key] = Math.Round(sparse, 3);
                cachedMs[key] = Math.Round(cached, 3);
            }
            summary["sparse_ms_by_documents"] = sparseMs;
            summary["cached_ms_by_documents"] = cachedMs;
        }
        return JsonSerializer.Serialize(summary);
    }
}
