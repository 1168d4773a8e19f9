using System.Diagnostics;
using System.Text.Json;
using ILGPU.Runtime;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;
using Search.Models.Bert;
using Search.Models.Ilgpu;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// The encoder pass on a device against the CPU pass, on random weights shaped like the packaged encoders (6 layers,
/// 384 wide; the packages themselves are too large to carry to a GPU machine): the largest difference in hidden
/// states, passages per second of each in the same run, and the device's matrix-product rate against its fp32 peak.
/// </summary>
public static class EncoderDeviceBenchmark
{
    /// <summary>
    /// Runs <paramref name="passages"/> passages of <paramref name="tokens"/> tokens in batches of 32 through an encoder
    /// of <paramref name="config"/>'s shape (default the packaged encoders'); returns the JSON summary.
    /// </summary>
    public static string Run(Accelerator accelerator, int passages, int tokens, TextWriter log, Search.Models.Configuration.ModelConfig? config = null)
    {
        config ??= RandomEncoder.Config();
        var weights = SeededBertWeights.Create(config);
        using var device = new DeviceBertEncoder(accelerator, config, weights);
        var cpu = new BertEncoder(config, weights, new CpuAttentionBackend());
        var peaks = DevicePeaks.Of(accelerator);
        log.WriteLine($"encoder pass ({config.NumHiddenLayers} layers, {config.HiddenSize} wide, random weights) on {device.Runtime} ({device.DeviceName}), {passages} passages of {tokens} tokens, batches of 32");

        // Exactness on uneven lengths: every tile edge of the kernels is crossed somewhere.
        int[][] check = RandomEncoder.Sequences([1, 17, 65, tokens], config.VocabSize);
        double difference = Differences.MaxAbs(cpu.Encode(check).Hidden, device.Encode(check).Hidden);
        log.WriteLine($"  max abs difference to the CPU pass: {difference:E2}");

        int[][] all = RandomEncoder.Sequences([.. Enumerable.Repeat(tokens, passages)], config.VocabSize, seed: 11);
        var batches = new List<int[][]>();
        for (int start = 0; start < all.Length; start += 32) batches.Add(all[start..Math.Min(all.Length, start + 32)]);
        double deviceSeconds = Time(device, batches), cpuSeconds = Time(cpu, batches);
        // Multiply-adds per token per layer: Q, K, V, output (4·h²), the feed-forward (2·h·i); attention adds 2·n·h.
        double h = config.HiddenSize, inner = config.IntermediateSize;
        double flops = 2.0 * passages * tokens * config.NumHiddenLayers * (4 * h * h + 2 * h * inner + 2 * tokens * h);
        double tflops = flops / deviceSeconds / 1e12;
        var summary = new Dictionary<string, object?>
        {
            ["device"] = device.DeviceName,
            ["runtime"] = device.Runtime,
            ["passages"] = passages,
            ["tokens"] = tokens,
            ["max_abs_diff"] = difference,
            ["device_passages_per_s"] = Math.Round(passages / deviceSeconds, 1),
            ["cpu_passages_per_s"] = Math.Round(passages / cpuSeconds, 1),
            ["device_vs_cpu"] = Math.Round(cpuSeconds / deviceSeconds, 2),
            ["cpu_cores"] = Environment.ProcessorCount,
            ["device_tflops"] = Math.Round(tflops, 3),
            ["fp32_peak_tflops"] = peaks is null ? null : Math.Round(peaks.Fp32Tflops, 2),
            ["fraction_of_fp32_peak"] = peaks is null ? null : Math.Round(tflops / peaks.Fp32Tflops, 4),
        };
        log.WriteLine($"  device {passages / deviceSeconds:0.0} passages/s ({tflops:0.###} TFLOP/s" + (peaks is null ? ")" : $", {tflops / peaks.Fp32Tflops:P1} of fp32 peak)") +
            $", CPU ({Environment.ProcessorCount} cores) {passages / cpuSeconds:0.0} passages/s");
        return JsonSerializer.Serialize(summary);
    }

    private static double Time(Search.Models.ISequenceEncoder encoder, List<int[][]> batches)
    {
        encoder.Encode(batches[0]); // warm-up: kernels compiled, buffers grown
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches) encoder.Encode(batch);
        return clock.Elapsed.TotalSeconds;
    }
}
