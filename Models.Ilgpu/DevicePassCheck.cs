using ILGPU.Runtime;
using Search.Models.Bert;
using Search.Models.Configuration;

namespace Search.Models.Ilgpu;

/// <summary>
/// A start-time proof that a device runs the dense passes: a tiny seeded encoder (one layer, 32 wide, two sequences that
/// end inside tiles) through <see cref="DeviceBertEncoder"/> against the CPU pass. A device whose driver cannot compile
/// the kernels, whose groups are too small, or whose answers differ is found here, not in the middle of indexing.
/// </summary>
public static class DevicePassCheck
{
    private const float Tolerance = 1e-4f;

    /// <summary>Null when the device's hidden states equal the CPU's within 1e-4; else what went wrong.</summary>
    public static string? Run(Accelerator accelerator)
    {
        var config = new ModelConfig
        {
            ModelType = "bert", HiddenAct = "gelu", VocabSize = 50, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 4,
            IntermediateSize = 48, MaxPositionEmbeddings = 80, TypeVocabSize = 2, LayerNormEps = 1e-12,
        };
        var weights = SeededBertWeights.Create(config, seed: 17);
        int[][] sequences = [[1, 7, 9, 3], [.. Enumerable.Range(0, 40).Select(i => 1 + i * 7 % 49)]];
        try
        {
            float[] expected = new BertEncoder(config, weights).Encode(sequences).Hidden;
            using var device = new DeviceBertEncoder(accelerator, config, weights);
            float[] actual = device.Encode(sequences).Hidden;
            float worst = 0;
            for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
            return worst <= Tolerance ? null : $"its encoder pass differs from the CPU's by {worst:E1} (more than {Tolerance:E0})";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"its encoder pass failed: {e.Message}";
        }
    }
}
