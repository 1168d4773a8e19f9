using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// <c>bench attention --device cuda</c>: the BlockRank attention cases on the GPU backend. Kernel time (launch to
/// completion) gives TFLOP/s and the fraction of the device's fp32 and bf16 tensor peaks; call time adds planning and
/// the host transfers the API implies (queries up, outputs and masses down). The CPU kernels run the same cases in the
/// same run for the speed-up, and masses are compared between the two.
/// </summary>
public static class AttentionDeviceBenchmark
{
    private static readonly int[] ScalingDocuments = [10, 30, 100, 300];

    /// <summary>
    /// Runs at <paramref name="documents"/> blocks on <paramref name="device"/>, each case timed <paramref name="rounds"/>
    /// times after a warm-up (default 5 with <paramref name="quick"/>, else 11); returns the JSON summary.
    /// </summary>
    public static string Run(IlgpuAttentionBackend device, int documents, bool quick, TextWriter log, int? rounds = null)
    {
        var peaks = device.Peaks;
        log.WriteLine($"attention on {device.Name} ({device.DeviceName}" + (peaks is null ? ")" :
            $", sm {peaks.Architecture}, {peaks.Multiprocessors} SMs at {peaks.ClockMhz:0} MHz: fp32 peak {peaks.Fp32Tflops:0.0} TFLOP/s, dense bf16 tensor peak {peaks.Bf16TensorTflops:0} TFLOP/s)"));
        int timed = rounds ?? (quick ? 5 : 11);
        var summary = new Dictionary<string, object?>
        {
            ["device"] = device.DeviceName,
            ["backend"] = device.Name,
            ["documents"] = documents,
            ["fp32_peak_tflops"] = peaks is null ? null : Math.Round(peaks.Fp32Tflops, 2),
            ["bf16_tensor_peak_tflops"] = peaks?.Bf16TensorTflops is { } t ? Math.Round(t, 1) : null,
            ["flashattention2_fraction_of_h100_peak"] = 0.35,
            ["flashattention3_fraction_of_h100_peak"] = 0.75,
        };

        foreach (var precision in new[] { KvPrecision.Float32, KvPrecision.BFloat16 })
        {
            string p = precision == KvPrecision.Float32 ? "fp32" : "bf16";
            var workload = new BlockRankWorkload(documents, device, precision: precision);
            var coldClock = Stopwatch.StartNew();
            workload.CachedQuery(); // the first call copies every cached block to the device
            double coldMs = coldClock.Elapsed.TotalMilliseconds;
            var cases = new (string Name, Action Run, double Flops)[]
            {
                ("dense", workload.DenseCausal, workload.DenseFlops),
                ("sparse", () => workload.BlockSparse(), workload.SparseFlops),
                ("cached", () => workload.CachedQuery(), workload.CachedFlops),
                ("cached_masses", () => workload.CachedQueryMassesOnly(), workload.CachedFlops / 2),
            };
            foreach (var (name, run, flops) in cases)
            {
                run();
                var call = new double[timed];
                var kernel = new double[timed];
                for (int r = 0; r < timed; r++)
                {
                    var clock = Stopwatch.StartNew();
                    run();
                    call[r] = clock.Elapsed.TotalMilliseconds;
                    kernel[r] = device.LastKernelMilliseconds;
                }
                double callMs = AttentionScaling.Median(call), kernelMs = AttentionScaling.Median(kernel), tflops = flops / (kernelMs * 1e9);
                summary[$"{name}_{p}_call_ms"] = Math.Round(callMs, 3);
                summary[$"{name}_{p}_kernel_ms"] = Math.Round(kernelMs, 3);
                summary[$"{name}_{p}_tflops"] = Math.Round(tflops, 3);
                if (peaks is not null) summary[$"{name}_{p}_fraction_of_fp32_peak"] = Math.Round(tflops / peaks.Fp32Tflops, 4);
                if (peaks?.Bf16TensorTflops is { } tensor) summary[$"{name}_{p}_fraction_of_bf16_tensor_peak"] = Math.Round(tflops / tensor, 5);
                log.WriteLine($"  {p} {name,-14} kernel {kernelMs,9:0.###} ms  call {callMs,9:0.###} ms  {tflops,7:0.###} TFLOP/s" +
                    (peaks is null ? "" : $"  ({tflops / peaks.Fp32Tflops:P1} of fp32 peak" + (peaks.Bf16TensorTflops is { } b ? $", {tflops / b:P2} of bf16 tensor peak)" : ")")));
            }
            summary[$"cached_{p}_cold_call_ms"] = Math.Round(coldMs, 3);
            log.WriteLine($"  {p} cached query, first call (copies the context's K/V to the device): {coldMs:0.###} ms");
        }

        // The same cases on this machine's CPU kernels, and the masses of both backends side by side.
        var gpu = new BlockRankWorkload(documents, device);
        var cpu = new BlockRankWorkload(documents, new CpuAttentionBackend());
        double cpuSparse = Time(() => cpu.BlockSparse(), timed), cpuCached = Time(() => cpu.CachedQuery(), timed);
        double gpuSparse = Time(() => gpu.BlockSparse(), timed), gpuCached = Time(() => gpu.CachedQuery(), timed);
        double difference = AttentionDeviceCheck.MaxMassDifference(cpu.CachedQuery(), gpu.CachedQuery());
        summary["cpu_cores"] = Environment.ProcessorCount;
        summary["cpu_sparse_ms"] = Math.Round(cpuSparse, 3);
        summary["cpu_cached_ms"] = Math.Round(cpuCached, 3);
        summary["sparse_cuda_vs_cpu"] = Math.Round(cpuSparse / gpuSparse, 2);
        summary["cached_cuda_vs_cpu"] = Math.Round(cpuCached / gpuCached, 2);
        summary["masses_max_abs_diff_cuda_vs_cpu"] = difference;
        summary["sparse_vs_dense_at_100"] = Math.Round((double)summary["dense_fp32_call_ms"]! / (double)summary["sparse_fp32_call_ms"]!, 2);
        log.WriteLine($"  CPU kernels on {Environment.ProcessorCount} cores: block-sparse {cpuSparse:0.###} ms ({cpuSparse / gpuSparse:0.0}× the GPU call), cached {cpuCached:0.###} ms ({cpuCached / gpuCached:0.0}×); masses differ by at most {difference:E1}");

        if (!quick)
        {
            var sparseMs = new Dictionary<string, double>();
            var cachedMs = new Dictionary<string, double>();
            foreach (int n in ScalingDocuments)
            {
                var w = new BlockRankWorkload(n, device);
                double s = Time(() => w.BlockSparse(), timed), c = Time(() => w.CachedQuery(), timed);
                sparseMs[n.ToString(CultureInfo.InvariantCulture)] = Math.Round(s, 3);
                cachedMs[n.ToString(CultureInfo.InvariantCulture)] = Math.Round(c, 3);
                log.WriteLine($"  N = {n,4}: block-sparse {s,9:0.###} ms, cached query {c,8:0.###} ms (calls)");
            }
            summary["sparse_ms_by_documents"] = sparseMs;
            summary["cached_ms_by_documents"] = cachedMs;
        }
        return JsonSerializer.Serialize(summary);
    }

    private static double Time(Action action, int rounds)
    {
        action();
        var times = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times[r] = clock.Elapsed.TotalMilliseconds;
        }
        return AttentionScaling.Median(times);
    }
}
