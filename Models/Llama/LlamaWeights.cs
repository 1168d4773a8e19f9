using Search.Models.Configuration;
using Search.Models.Kernels;
using Search.Models.Tensors;

namespace Search.Models.Llama;

/// <summary>A Llama-family decoder's tensors read to fp32 by their Hugging Face names (Qwen2's q/k/v biases and Qwen3's
/// q/k norms when present).</summary>
public sealed class LlamaWeights
{
    /// <summary>One decoder layer.</summary>
    public sealed record Layer(
        float[] InputNorm, LinearWeight Query, LinearWeight Key, LinearWeight Value, LinearWeight Output,
        float[] PostAttentionNorm, LinearWeight Gate, LinearWeight Up, LinearWeight Down)
    {
        /// <summary>Qwen3's per-head RMSNorm weights [headDim] on queries and keys before RoPE; null for Llama and Qwen2.</summary>
        public float[]? QueryNorm { get; init; }

        /// <summary>The key counterpart of <see cref="QueryNorm"/>.</summary>
        public float[]? KeyNorm { get; init; }
    }

    /// <summary>Token embeddings [vocab][hidden].</summary>
    public required float[] Embeddings { get; init; }

    /// <summary>The layers in order.</summary>
    public required IReadOnlyList<Layer> Layers { get; init; }

    /// <summary>The final RMSNorm weight.</summary>
    public required float[] FinalNorm { get; init; }

    /// <summary>The output projection [vocab][hidden]; the embeddings themselves when tied.</summary>
    public required float[] LmHead { get; init; }

    /// <summary>Reads and shape-checks every tensor the decoder needs.</summary>
    public static LlamaWeights Load(ModelWeights weights, ModelConfig config)
    {
        int h = config.HiddenSize, q = config.NumAttentionHeads * config.HeadDim, kv = config.KeyValueHeads * config.HeadDim, i = config.IntermediateSize;
        LinearWeight linear(string name, int outDim, int inDim) =>
            LinearWeight.Pack(weights.Read(name + ".weight", outDim, inDim), outDim, inDim, weights.ReadOptional(name + ".bias", outDim));
        var layers = new List<Layer>(config.NumHiddenLayers);
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            layers.Add(new Layer(
                weights.Read(p + "input_layernorm.weight", h),
                linear(p + "self_attn.q_proj", q, h), linear(p + "self_attn.k_proj", kv, h), linear(p + "self_attn.v_proj", kv, h),
                linear(p + "self_attn.o_proj", h, q),
                weights.Read(p + "post_attention_layernorm.weight", h),
                linear(p + "mlp.gate_proj", i, h), linear(p + "mlp.up_proj", i, h), linear(p + "mlp.down_proj", h, i))
            {
                QueryNorm = weights.ReadOptional(p + "self_attn.q_norm.weight", config.HeadDim),
                KeyNorm = weights.ReadOptional(p + "self_attn.k_norm.weight", config.HeadDim),
            });
        }
        float[] embeddings = weights.Read("model.embed_tokens.weight", config.VocabSize, h);
        return new LlamaWeights
        {
            Embeddings = embeddings,
            Layers = layers,
            FinalNorm = weights.Read("model.norm.weight", h),
            LmHead = !config.TieWordEmbeddings && weights.Contains("lm_head.weight") ? weights.Read("lm_head.weight", config.VocabSize, h) : embeddings,
        };
    }
}
