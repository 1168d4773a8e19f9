using Search.Models.Bert;
using Search.Models.Configuration;
using Search.Models.Kernels;

namespace Search.Benchmarks.Workloads;

/// <summary>A BERT encoder's weights, seeded random and built in memory: the device pass is checked against the CPU pass
/// and timed on a realistic shape, neither of which needs trained weights.</summary>
public static class RandomEncoder
{
    /// <summary>A BERT config; the defaults are the packaged encoders' shape (6 layers, 384 wide, 12 heads of 32, FFN 1536).</summary>
    public static ModelConfig Config(int layers = 6, int hidden = 384, int heads = 12, int intermediate = 1536, int vocab = 30522, int maxPositions = 512) => new()
    {
        ModelType = "bert",
        HiddenAct = "gelu",
        VocabSize = vocab,
        HiddenSize = hidden,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        IntermediateSize = intermediate,
        MaxPositionEmbeddings = maxPositions,
        TypeVocabSize = 2,
        LayerNormEps = 1e-12,
    };

    /// <summary>Weights for <paramref name="config"/>: projections uniform in ±√(3/fan-in) (unit-scale activations), norms
    /// near one and biases near zero but not exactly, so every term of the pass shows in its output.</summary>
    public static BertWeights Weights(ModelConfig config, int seed = 42)
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

    /// <summary>Token-id sequences of the given lengths, [CLS]-like id 1 first, ids below <paramref name="vocab"/>.</summary>
    public static int[][] Sequences(IReadOnlyList<int> lengths, int vocab, int seed = 7)
    {
        var random = new Random(seed);
        var sequences = new int[lengths.Count][];
        for (int s = 0; s < lengths.Count; s++)
        {
            sequences[s] = new int[lengths[s]];
            for (int t = 0; t < lengths[s]; t++) sequences[s][t] = t == 0 ? 1 : random.Next(2, vocab);
        }
        return sequences;
    }

    private static float[] Uniform(Random random, int length, float center, float bound)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = center + (float)(random.NextDouble() * 2 - 1) * bound;
        return data;
    }
}
