using Search.GpuAttention;
using Search.Models.Configuration;
using Search.Models.Kernels;
using Search.Models.Ilgpu;
using Search.Models.Llama;

namespace Search.Benchmarks.Workloads;

/// <summary>A Llama-architecture decoder with seeded random weights, built in memory: timing the runtime needs a
/// realistic shape, not trained weights.</summary>
public static class RandomDecoder
{
    /// <summary>A Llama config; the defaults are a small realistic width: hidden 512, 8 heads of 64 sharing 2 key/value
    /// heads, SwiGLU 1408, vocabulary 1000.</summary>
    public static ModelConfig Config(int layers = 4, int hidden = 512, int heads = 8, int kvHeads = 2, int intermediate = 1408, int vocab = 1000) => new()
    {
        ModelType = "llama",
        HiddenAct = "silu",
        VocabSize = vocab,
        HiddenSize = hidden,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        IntermediateSize = intermediate,
        MaxPositionEmbeddings = 32768,
    };

    /// <summary>A decoder for <paramref name="config"/> with uniform weights scaled by 1/sqrt(fan-in), so activations and
    /// attention logits stay near unit scale through the layers and the softmax is neither flat nor one-hot. The dense
    /// layers run where <paramref name="denseLayers"/> puts them, by default beside the attention.</summary>
    public static LlamaDecoder Create(ModelConfig config, int seed = 42, KvPrecision cachePrecision = KvPrecision.Float32, IAttentionBackend? attention = null,
        Func<ModelConfig, LlamaWeights, IDecoderLayers>? denseLayers = null)
    {
        var random = new Random(seed);
        int h = config.HiddenSize, q = config.NumAttentionHeads * config.HeadDim, kv = config.KeyValueHeads * config.HeadDim, i = config.IntermediateSize;
        LinearWeight linear(int outDim, int inDim) => LinearWeight.Pack(Uniform(random, outDim * inDim, MathF.Sqrt(3f / inDim)), outDim, inDim);
        var layers = new List<LlamaWeights.Layer>(config.NumHiddenLayers);
        for (int l = 0; l < config.NumHiddenLayers; l++)
            layers.Add(new LlamaWeights.Layer(Ones(h), linear(q, h), linear(kv, h), linear(kv, h), linear(h, q), Ones(h), linear(i, h), linear(i, h), linear(h, i)));
        float[] embeddings = Uniform(random, config.VocabSize * h, 1f);
        var weights = new LlamaWeights { Embeddings = embeddings, Layers = layers, FinalNorm = Ones(h), LmHead = embeddings };
        return new LlamaDecoder(config, weights, attention, cachePrecision, denseLayers ?? DeviceDecoderLayers.Beside(attention));
    }

    private static float[] Uniform(Random random, int length, float bound)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        return data;
    }

    private static float[] Ones(int length)
    {
        var data = new float[length];
        Array.Fill(data, 1f);
        return data;
    }
}
