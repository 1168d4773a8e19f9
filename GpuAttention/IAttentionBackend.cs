namespace Search.GpuAttention;

/// <summary>
/// Attention kernels behind one interface so a CUDA backend can replace the CPU one; outputs are fp32
/// [heads][queryTokens][headDim]. See GpuAttention/README.md for the layouts and a CUDA mapping.
/// </summary>
public interface IAttentionBackend
{
    /// <summary>A short name for logs and benchmarks ("cpu", "cuda").</summary>
    string Name { get; }

    /// <summary>Every query row sees every key (bidirectional) or keys at its position and earlier (causal).</summary>
    void Dense(AttentionInput input, bool causal, float[] output);

    /// <summary>
    /// Attention restricted to a <see cref="BlockLayout"/> over the key sequence; the query rows must cover whole
    /// blocks. Returns per-block masses for <paramref name="massRows"/> when asked, else null. A null
    /// <paramref name="output"/> computes masses only (no P·V).
    /// </summary>
    BlockMasses? BlockSparse(AttentionInput input, BlockLayout layout, float[]? output, RowRange? massRows = null);

    /// <summary>
    /// A query block against cached context blocks: the query sees every context block fully and its own keys
    /// causally; cached keys are re-encoded to their assembled positions. <paramref name="queryBlock"/> holds the
    /// block's own queries, keys and values (QueryStart 0), already encoded at <see cref="CachedContext.QueryPosition"/>.
    /// Masses have one column per context block, then one for the query block itself. A null
    /// <paramref name="output"/> computes masses only (no P·V), which is all BlockRank scoring needs.
    /// </summary>
    BlockMasses? QueryAgainstCache(CachedContext context, AttentionInput queryBlock, float[]? output, RowRange? massRows = null);
}
