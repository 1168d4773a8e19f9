using Search.Models.Configuration;
using Search.Models.Kernels;
using Search.Models.Tensors;

namespace Search.Models.Bert;

/// <summary>A BERT encoder's tensors read to fp32, by their Hugging Face names (with or without a "bert." prefix).</summary>
public sealed class BertWeights
{
    /// <summary>One encoder layer.</summary>
    public sealed record Layer(
        LinearWeight Query, LinearWeight Key, LinearWeight Value, LinearWeight AttentionOutput,
        float[] AttentionNorm, float[] AttentionNormBias, LinearWeight Intermediate, LinearWeight Output,
        float[] OutputNorm, float[] OutputNormBias);

    /// <summary>Token embeddings [vocab][hidden].</summary>
    public required float[] WordEmbeddings { get; init; }

    /// <summary>Absolute position embeddings [max positions][hidden].</summary>
    public required float[] PositionEmbeddings { get; init; }

    /// <summary>Segment embeddings [type vocab][hidden]; row 0 is used for single texts.</summary>
    public required float[] TokenTypeEmbeddings { get; init; }

    /// <summary>Embedding LayerNorm weight.</summary>
    public required float[] EmbeddingNorm { get; init; }

    /// <summary>Embedding LayerNorm bias.</summary>
    public required float[] EmbeddingNormBias { get; init; }

    /// <summary>The encoder layers in order.</summary>
    public required IReadOnlyList<Layer> Layers { get; init; }

    /// <summary>Reads and shape-checks every tensor the encoder needs.</summary>
    public static BertWeights Load(ITensorSource weights, ModelConfig config)
    {
        string prefix = weights.Contains("embeddings.word_embeddings.weight") ? "" : "bert.";
        int h = config.HiddenSize, i = config.IntermediateSize;
        float[] read(string name, params int[] shape) => weights.Read(prefix + name, shape);
        LinearWeight linear(string name, int outDim, int inDim) =>
            LinearWeight.Pack(read(name + ".weight", outDim, inDim), outDim, inDim, read(name + ".bias", outDim));
        var layers = new List<Layer>(config.NumHiddenLayers);
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            string p = $"encoder.layer.{l}.";
            layers.Add(new Layer(
                linear(p + "attention.self.query", h, h), linear(p + "attention.self.key", h, h),
                linear(p + "attention.self.value", h, h), linear(p + "attention.output.dense", h, h),
                read(p + "attention.output.LayerNorm.weight", h), read(p + "attention.output.LayerNorm.bias", h),
                linear(p + "intermediate.dense", i, h), linear(p + "output.dense", h, i),
                read(p + "output.LayerNorm.weight", h), read(p + "output.LayerNorm.bias", h)));
        }
        return new BertWeights
        {
            WordEmbeddings = read("embeddings.word_embeddings.weight", config.VocabSize, h),
            PositionEmbeddings = read("embeddings.position_embeddings.weight", config.MaxPositionEmbeddings, h),
            TokenTypeEmbeddings = read("embeddings.token_type_embeddings.weight", config.TypeVocabSize, h),
            EmbeddingNorm = read("embeddings.LayerNorm.weight", h),
            EmbeddingNormBias = read("embeddings.LayerNorm.bias", h),
            Layers = layers,
        };
    }
}
