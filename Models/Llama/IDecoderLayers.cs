namespace Search.Models.Llama;

/// <summary>
/// Where a decoder's dense work runs when not on the CPU kernels — the embedding lookup, the RMSNorms, the
/// query/key/value, output and feed-forward products — with the hidden state kept there across layers: per layer only
/// the attention's inputs come out and its output goes back (attention runs on the decoder's attention backend).
/// </summary>
public interface IDecoderLayers : IDisposable
{
    /// <summary>What runs them, e.g. "cuda".</summary>
    string Name { get; }

    /// <summary>Starts a pass over <paramref name="tokens"/> (ids already checked); the pass holds the device until disposed.</summary>
    IDecoderPass Begin(int[] tokens);
}

/// <summary>One pass of <see cref="IDecoderLayers"/> through the layers in order.</summary>
public interface IDecoderPass : IDisposable
{
    /// <summary>Layer <paramref name="layer"/>'s queries, keys and values, token-major, before per-head norms and RoPE.</summary>
    void Project(int layer, float[] query, float[] key, float[] value);

    /// <summary>Takes layer <paramref name="layer"/>'s attention output (token-major) and runs the rest of the layer.</summary>
    void Complete(int layer, float[] context);

    /// <summary>The final-normed hidden states [tokens][hidden].</summary>
    void Final(float[] hidden);
}
