namespace Search.GpuAttention;

/// <summary>
/// A run of keys one query tile attends to: rows [TokenStart, TokenStart + Count) of a K/V pair, the first at
/// query-coordinate position KeyPosition (for the causal test), optionally with the RoPE rotation (Cos, Sin)
/// to apply to the queries instead of re-encoding the keys, and the mass column it reports into.
/// </summary>
internal readonly record struct KeyRange(KvTensor Keys, KvTensor Values, int TokenStart, int Count, bool Causal, int KeyPosition, int MassSlot, RotaryEmbedding? Rope = null, float[]? Cos = null, float[]? Sin = null);
