using System.Text.Json;
using System.Text.Json.Serialization;

namespace Search.Models.Configuration;

/// <summary>The fields of a Hugging Face config.json that BERT-style encoders and Llama-style decoders need.</summary>
public sealed record ModelConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "";
    [JsonPropertyName("architectures")] public IReadOnlyList<string> Architectures { get; init; } = [];
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; }
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; init; }
    [JsonPropertyName("head_dim")] public int? HeadDimension { get; init; }
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; }
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; }
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    [JsonPropertyName("rope_scaling")] public JsonElement? RopeScaling { get; init; }
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
    [JsonPropertyName("bos_token_id")] public JsonElement? BosTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public JsonElement? EosTokenId { get; init; }
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; init; } = "absolute";
    [JsonPropertyName("torch_dtype")] public string? TorchDType { get; init; }

    /// <summary>Key/value heads: num_key_value_heads, or every attention head when absent (no grouping).</summary>
    public int KeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;

    /// <summary>Per-head width: head_dim when given (Qwen3, Gemma), else hidden_size / num_attention_heads.</summary>
    public int HeadDim => HeadDimension ?? HiddenSize / NumAttentionHeads;

    /// <summary>True for decoder-only (Llama, Qwen2, Mistral) configs, false for BERT-style encoders.</summary>
    public bool IsDecoder => ModelType is "llama" or "qwen2" or "qwen3" or "mistral"
        || Architectures.Any(a => a.EndsWith("ForCausalLM", StringComparison.Ordinal));

    /// <summary>Reads and sanity-checks a config.json.</summary>
    public static ModelConfig Load(string path)
    {
        ModelConfig config = JsonSerializer.Deserialize<ModelConfig>(File.ReadAllBytes(path))
            ?? throw new InvalidDataException($"{path} is empty");
        if (config.HiddenSize <= 0 || config.NumHiddenLayers <= 0 || config.NumAttentionHeads <= 0 || config.VocabSize <= 0)
            throw new InvalidDataException($"{path} lacks hidden_size, num_hidden_layers, num_attention_heads or vocab_size");
        if (config.NumAttentionHeads % config.KeyValueHeads != 0)
            throw new InvalidDataException($"{path}: num_attention_heads {config.NumAttentionHeads} is not a multiple of num_key_value_heads {config.KeyValueHeads}");
        return config;
    }
}
