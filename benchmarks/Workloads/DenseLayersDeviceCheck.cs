using ILGPU.Runtime;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;
using Search.Models.Bert;
using Search.Models.Ilgpu;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// The device's dense passes against the CPU's on seeded random weights: a decoder shaped like Qwen2.5-0.5B's layers
/// (hidden 896, 14 heads, 2 key/value heads, SwiGLU 4864) through its device layers and device attention, and the encoder of the packaged
/// encoders' shape; what the unit tests check on ILGPU's CPU accelerator, run on a real GPU.
/// </summary>
public static class DenseLayersDeviceCheck
{
    /// <summary>
    /// The largest differences of the final hidden states, decoder and encoder (the encoder also called from another
    /// thread), with a line each; <paramref name="small"/>
    /// shrinks both models (ILGPU's CPU accelerator runs every thread on the host's cores).
    /// </summary>
    public static (double Decoder, double Encoder) Run(Accelerator accelerator, TextWriter log, bool small = false, int seed = 1)
    {
        var config = small
            ? RandomDecoder.Config(2, hidden: 72, heads: 3, kvHeads: 1, intermediate: 100, vocab: 300)
            : RandomDecoder.Config(2, hidden: 896, heads: 14, kvHeads: 2, intermediate: 4864, vocab: 1000);
        using var cpu = RandomDecoder.Create(config, seed, attention: new CpuAttentionBackend());
        using var attention = new IlgpuAttentionBackend(accelerator);
        using var device = RandomDecoder.Create(config, seed, attention: attention, denseLayers: (c, w) => new DeviceDecoderLayers(attention, c, w));
        var random = new Random(seed);
        int[] tokens = [.. Enumerable.Range(0, small ? 41 : 197).Select(_ => random.Next(config.VocabSize))];
        double decoder = Differences.MaxAbs(cpu.Prefill(tokens).Hidden, device.Prefill(tokens).Hidden);
        log.WriteLine($"  decoder layers (hidden {config.HiddenSize}, {tokens.Length} tokens): hidden states differ by {decoder:E1}");

        var encoderConfig = small ? RandomEncoder.Config(layers: 1, hidden: 64, heads: 2, intermediate: 128) : RandomEncoder.Config();
        var weights = SeededBertWeights.Create(encoderConfig, seed);
        using var onDevice = new DeviceBertEncoder(accelerator, encoderConfig, weights);
        int[][] sequences = RandomEncoder.Sequences(small ? [1, 17, 40] : [1, 17, 65, 128, 300], encoderConfig.VocabSize, seed);
        float[] expected = new BertEncoder(encoderConfig, weights).Encode(sequences).Hidden;
        double encoder = Differences.MaxAbs(expected, onDevice.Encode(sequences).Hidden);
        // Again from another thread: a CUDA context is current only where it was bound, and servers call from any thread.
        encoder = Math.Max(encoder, Differences.MaxAbs(expected, Task.Run(() => onDevice.Encode(sequences).Hidden).GetAwaiter().GetResult()));
        log.WriteLine($"  encoder ({encoderConfig.NumHiddenLayers} layers, {encoderConfig.HiddenSize} wide, {sequences.Length} sequences of 1 to {sequences[^1].Length} tokens): hidden states differ by {encoder:E1}");
        return (decoder, encoder);
    }
}
