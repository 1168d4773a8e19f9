using Search.GpuAttention;

namespace Search.Models.Llama;

/// <summary>
/// Where a decoder's layers run when not on the CPU kernels: the embedding lookup, the norms, the products, RoPE and
/// attention (on <see cref="Attention"/>), with the hidden state, the queries and the attention output kept there
/// across layers; per layer only the keys and values come out (a passage-KV store keeps them) and the masses asked for.
/// </summary>
public interface IDecoderLayers : IDisposable
{
    /// <summary>What runs them, e.g. "cuda".</summary>
    string Name { get; }

    /// <summary>The attention backend the passes' attention runs on.</summary>
    IAttentionBackend Attention { get; }

    /// <summary>Starts a pass over <paramref name="tokens"/> (ids already checked), the first at <paramref name="position"/>,
    /// encoded by <paramref name="rope"/>; the pass holds the device until disposed.</summary>
    IDecoderPass Begin(int[] tokens, int position, RotaryEmbedding rope);
}

/// <summary>One pass of <see cref="IDecoderLayers"/> through the layers in order.</summary>
public interface IDecoderPass : IDisposable
{
    /// <summary>
    /// Layer <paramref name="layer"/>'s queries, keys and values, per-head normed and RoPE-encoded where the layers run;
    /// returns the keys and values head-major in <paramref name="precision"/> (fresh tensors a cache may keep).
    /// </summary>
    (KvTensor Keys, KvTensor Values) Project(int layer, KvPrecision precision);

    /// <summary>
    /// Attention over the last <see cref="Project"/>'s queries, which stay where the layers run: an input's query array
    /// gives only the shape, and an output array only asks for the output, which stays there for <see cref="Complete"/>.
    /// </summary>
    IAttentionBackend Attention { get; }

    /// <summary>Runs the rest of layer <paramref name="layer"/> on its attention output.</summary>
    void Complete(int layer);

    /// <summary>The final-normed hidden states [tokens][hidden].</summary>
    void Final(float[] hidden);
}
