using System.Text.Json;
using Search.Benchmarks.Workloads;
using Search.GpuAttention.Ilgpu;

namespace Search.Benchmarks.Tests;

public sealed class AttentionDeviceBenchmarkTests
{
    [Fact]
    public void The_device_benchmark_runs_every_case_and_its_masses_agree_with_the_cpu_kernels()
    {
        // ILGPU's CPU accelerator stands in for the GPU: the same kernel and the same report, with no peaks to compare to.
        using var device = IlgpuAttentionBackend.CreateCpuSimulator();
        var log = new StringWriter();
        using var summary = JsonDocument.Parse(AttentionDeviceBenchmark.Run(device, documents: 1, quick: true, log, rounds: 1));
        var root = summary.RootElement;
        Assert.Equal(1, root.GetProperty("documents").GetInt32());
        foreach (string precision in new[] { "fp32", "bf16" })
            foreach (string name in new[] { "dense", "sparse", "cached", "cached_masses" })
            {
                Assert.True(root.GetProperty($"{name}_{precision}_kernel_ms").GetDouble() > 0, $"{name} {precision}");
                Assert.True(root.GetProperty($"{name}_{precision}_tflops").GetDouble() >= 0, $"{name} {precision}");
            }
        Assert.InRange(root.GetProperty("masses_max_abs_diff_cuda_vs_cpu").GetDouble(), 0, 1e-4);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("fp32_peak_tflops").ValueKind);
        Assert.Contains("CPU kernels", log.ToString());
    }
}
