using System.Text.Json;
using Search.GpuAttention;
using Search.Models.Bert;
using Search.Models.Configuration;
using Search.Models.Llama;
using Search.Models.Tensors;
using Search.Models.Tokenization;

namespace Search.Models;

/// <summary>Loads a Hugging Face model directory (config.json, model.safetensors or sharded model-*.safetensors with
/// model.safetensors.index.json, tokenizer.json) as a BERT-style text encoder or a Llama-family decoder.</summary>
public static class ModelDirectory
{
    /// <summary>The directory's config.json.</summary>
    public static ModelConfig Config(string directory) => ModelConfig.Load(Path.Combine(directory, "config.json"));

    /// <summary>Loads an encoder (MiniLM, BGE, E5 …). Pooling and normalization follow sentence-transformers'
    /// 1_Pooling/config.json and modules.json when present, else mean pooling without normalization.</summary>
    public static TextEncoder LoadEncoder(string directory, IAttentionBackend? attention = null)
    {
        ModelConfig config = Config(directory);
        if (config.IsDecoder) throw new InvalidDataException($"{directory} holds a decoder ({config.ModelType}); use LoadDecoder");
        Tokenizer tokenizer = TokenizerJson.Load(Path.Combine(directory, "tokenizer.json"));
        BertWeights weights;
        using (ModelWeights files = ModelWeights.Open(directory)) weights = BertWeights.Load(files, config);
        return new TextEncoder(tokenizer, new BertEncoder(config, weights, attention), ReadPooling(directory), ReadNormalize(directory));
    }

    /// <summary>Loads a decoder (Llama, Qwen2, Mistral) with unscaled RoPE; its dense layers run where <paramref name="layers"/> puts them (null: the CPU).</summary>
    public static TextDecoder LoadDecoder(string directory, IAttentionBackend? attention = null, KvPrecision cachePrecision = KvPrecision.Float32,
        Func<ModelConfig, LlamaWeights, IDecoderLayers>? layers = null)
    {
        ModelConfig config = Config(directory);
        if (!config.IsDecoder) throw new InvalidDataException($"{directory} holds an encoder ({config.ModelType}); use LoadEncoder");
        Tokenizer tokenizer = TokenizerJson.Load(Path.Combine(directory, "tokenizer.json"));
        LlamaWeights weights;
        using (ModelWeights files = ModelWeights.Open(directory)) weights = LlamaWeights.Load(files, config);
        return new TextDecoder(tokenizer, new LlamaDecoder(config, weights, attention, cachePrecision, layers));
    }

    /// <summary>The prompt sentence-transformers puts before queries (config_sentence_transformers.json's prompts.query), or "".</summary>
    public static string QueryPrompt(string directory)
    {
        string path = Path.Combine(directory, "config_sentence_transformers.json");
        if (!File.Exists(path)) return "";
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.TryGetProperty("prompts", out JsonElement prompts) && prompts.ValueKind == JsonValueKind.Object
            && prompts.TryGetProperty("query", out JsonElement query) && query.ValueKind == JsonValueKind.String ? query.GetString()! : "";
    }

    private static Pooling ReadPooling(string directory)
    {
        string path = Path.Combine(directory, "1_Pooling", "config.json");
        if (!File.Exists(path)) return Pooling.Mean;
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        bool cls = doc.RootElement.TryGetProperty("pooling_mode_cls_token", out JsonElement c) && c.ValueKind == JsonValueKind.True;
        return cls ? Pooling.Cls : Pooling.Mean;
    }

    private static bool ReadNormalize(string directory)
    {
        string path = Path.Combine(directory, "modules.json");
        if (!File.Exists(path)) return false;
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.EnumerateArray()
            .Any(m => m.TryGetProperty("type", out JsonElement t) && (t.GetString() ?? "").EndsWith("Normalize", StringComparison.Ordinal));
    }
}
