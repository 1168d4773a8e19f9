using ILGPU.Runtime;
using Search.Models.Bert;
using Search.Models.Configuration;
using Search.Models.Kernels;

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
        var weights = Weights(config);
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

    // Seeded weights of unit scale: every term of the pass shows in the output.
    private static BertWeights Weights(ModelConfig config)
    {
        var random = new Random(17);
        int h = config.HiddenSize, inner = config.IntermediateSize;
        float[] uniform(int n, float center, float bound)
        {
            var data = new float[n];
            for (int i = 0; i < n; i++) data[i] = center + (float)(random.NextDouble() * 2 - 1) * bound;
            return data;
        }
        LinearWeight linear(int outDim, int inDim) => LinearWeight.Pack(uniform(outDim * inDim, 0, MathF.Sqrt(3f / inDim)), outDim, inDim, uniform(outDim, 0, 0.1f));
        return new BertWeights
        {
            WordEmbeddings = uniform(config.VocabSize * h, 0, 1),
            PositionEmbeddings = uniform(config.MaxPositionEmbeddings * h, 0, 0.5f),
            TokenTypeEmbeddings = uniform(config.TypeVocabSize * h, 0, 0.5f),
            EmbeddingNorm = uniform(h, 1, 0.2f),
            EmbeddingNormBias = uniform(h, 0, 0.1f),
            Layers =
            [
                new BertWeights.Layer(linear(h, h), linear(h, h), linear(h, h), linear(h, h), uniform(h, 1, 0.2f), uniform(h, 0, 0.1f),
                    linear(inner, h), linear(h, inner), uniform(h, 1, 0.2f), uniform(h, 0, 0.1f)),
            ],
        };
    }
}
