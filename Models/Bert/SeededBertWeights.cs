using Search.Models.Configuration;
using Search.Models.Kernels;

namespace Search.Models.Bert;

/// <summary>A BERT encoder's weights, seeded random and built in memory: for checking one pass against another (the
/// device's against the CPU's) and timing them, neither of which needs trained weights.</summary>
public static class SeededBertWeights
{
    /// <summary>Weights for <paramref name="config"/>: projections uniform in ±√(3/fan-in) (unit-scale activations), norms
    /// near one and biases near zero but not exactly, so every term of the pass shows in its output.</summary>
    public static BertWeights Create(ModelConfig config, int seed = 42)
    {
        var random = new Random(seed);
        int h = config.HiddenSize, i = config.IntermediateSize;
        LinearWeight linear(int outDim, int inDim) =>
            LinearWeight.Pack(Uniform(random, outDim * inDim, 0f, MathF.Sqrt(3f / inDim)), outDim, inDim, Uniform(random, outDim, 0f, 0.1f));
        float[] norm() => Uniform(random, h, 1f, 0.2f);
        float[] bias() => Uniform(random, h, 0f, 0.1f);
        var layers = new List<BertWeights.Layer>(config.NumHiddenLayers);
        for (int l = 0; l < config.NumHiddenLayers; l++)
            layers.Add(new BertWeights.Layer(linear(h, h), linear(h, h), linear(h, h), linear(h, h), norm(), bias(), linear(i, h), linear(h, i), norm(), bias()));
        return new BertWeights
        {
            WordEmbeddings = Uniform(random, config.VocabSize * h, 0f, 1f),
            PositionEmbeddings = Uniform(random, config.MaxPositionEmbeddings * h, 0f, 0.5f),
            TokenTypeEmbeddings = Uniform(random, config.TypeVocabSize * h, 0f, 0.5f),
            EmbeddingNorm = norm(),
            EmbeddingNormBias = bias(),
            Layers = layers,
        };
    }

    private static float[] Uniform(Random random, int length, float center, float bound)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = center + (float)(random.NextDouble() * 2 - 1) * bound;
        return data;
    }
}
