using Search.Models.Bert;
using Search.Models.Configuration;

namespace Search.Benchmarks.Workloads;

/// <summary>BERT shapes and token sequences for checking and timing the encoder passes (their seeded weights come from
/// <see cref="SeededBertWeights"/>).</summary>
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
}
