namespace Search.GpuAttention.Caching;

/// <summary>One block's keys and values for one layer, with the position of its first token when they were computed.</summary>
/// <param name="Keys">Keys [kvHeads][tokens][headDim], RoPE-encoded at <paramref name="Position"/>.</param>
/// <param name="Values">Values, same shape.</param>
/// <param name="Position">Position of the block's first token at encoding time.</param>
public sealed record CachedBlock(KvTensor Keys, KvTensor Values, int Position)
{
    /// <summary>Tokens in the block.</summary>
    public int Tokens => Keys.Tokens;

    /// <summary>Bytes of keys and values.</summary>
    public long Bytes => Keys.Bytes + Values.Bytes;
}
