namespace Search.GpuAttention;

/// <summary>
/// One attention call's operands: queries [heads][queryTokens][headDim] in fp32, keys and values
/// [kvHeads][keyTokens][headDim] in any <see cref="KvPrecision"/>; query row i sits at key position
/// <paramref name="QueryStart"/> + i (so a suffix of a sequence can be computed against all of its keys).
/// Query head h reads key/value head h / (heads / kvHeads) (grouped-query attention).
/// </summary>
/// <param name="Query">Queries, [heads][queryTokens][headDim].</param>
/// <param name="Heads">Query heads; a multiple of <c>Keys.Heads</c>.</param>
/// <param name="QueryTokens">Query rows per head.</param>
/// <param name="QueryStart">Position of query row 0 in the key sequence.</param>
/// <param name="Keys">Keys.</param>
/// <param name="Values">Values, same shape as the keys.</param>
/// <param name="Scale">Score scale; null means 1/sqrt(headDim).</param>
public sealed record AttentionInput(float[] Query, int Heads, int QueryTokens, int QueryStart, KvTensor Keys, KvTensor Values, float? Scale = null)
{
    /// <summary>Elements per row.</summary>
    public int HeadDim => Keys.HeadDim;

    /// <summary>Key/value heads.</summary>
    public int KvHeads => Keys.Heads;

    /// <summary>The scale actually used.</summary>
    public float EffectiveScale => Scale ?? 1f / MathF.Sqrt(HeadDim);

    /// <summary>Elements the output must hold: heads × queryTokens × headDim.</summary>
    public int OutputLength => Heads * QueryTokens * HeadDim;

    /// <summary>Throws when the shapes disagree.</summary>
    public void Validate()
    {
        if (Keys.Heads != Values.Heads || Keys.Tokens != Values.Tokens || Keys.HeadDim != Values.HeadDim)
            throw new ArgumentException("keys and values differ in shape");
        if (Heads <= 0 || Heads % Keys.Heads != 0)
            throw new ArgumentException($"{Heads} query heads are not a multiple of {Keys.Heads} key/value heads");
        if (QueryTokens < 0 || Query.Length != (long)Heads * QueryTokens * HeadDim)
            throw new ArgumentException($"queries hold {Query.Length} elements, expected {Heads}×{QueryTokens}×{HeadDim}");
        if (QueryStart < 0 || QueryStart + QueryTokens > Keys.Tokens)
            throw new ArgumentException($"query rows {QueryStart}..{QueryStart + QueryTokens} outside the {Keys.Tokens} keys");
    }
}
