namespace Search.GpuAttention;

/// <summary>
/// What one attention call computes, independent of the backend: runs of query rows, each with the key ranges it
/// attends to (in order), and the mass result to fill. Every backend executes the same plan, so the CPU and device
/// kernels differ only in how they walk it.
/// </summary>
internal sealed class AttentionPlan
{
    private AttentionPlan(AttentionInput input, List<QuerySegment> segments, BlockMasses? masses, RowRange massRows)
    {
        Input = input;
        Segments = segments;
        Masses = masses;
        MassRows = massRows;
    }

    /// <summary>The call's operands (for a cached query: the query block's own).</summary>
    public AttentionInput Input { get; }

    /// <summary>Runs of query rows and the key ranges each attends to.</summary>
    public List<QuerySegment> Segments { get; }

    /// <summary>The masses to fill, or null when none were asked for.</summary>
    public BlockMasses? Masses { get; }

    /// <summary>The query rows whose masses are wanted (empty when none).</summary>
    public RowRange MassRows { get; }

    /// <summary>Every query row against every key, bidirectional or causal.</summary>
    public static AttentionPlan Dense(AttentionInput input, bool causal, float[] output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Check(input, output, null);
        var ranges = new[] { new KeyRange(input.Keys, input.Values, 0, input.Keys.Tokens, causal, 0, -1) };
        return new AttentionPlan(input, [new QuerySegment(0, input.QueryTokens, input.QueryStart, ranges)], null, default);
    }

    /// <summary>Query rows covering whole blocks of <paramref name="layout"/>, each block against its allowed key blocks.</summary>
    public static AttentionPlan BlockSparse(AttentionInput input, BlockLayout layout, float[]? output, RowRange? massRows)
    {
        Check(input, output, massRows);
        if (layout.Tokens != input.Keys.Tokens) throw new ArgumentException($"layout covers {layout.Tokens} tokens, keys have {input.Keys.Tokens}", nameof(layout));
        int first = layout.BlockOf(input.QueryStart);
        if (input.QueryTokens > 0 && layout.BlockStart(first) != input.QueryStart)
            throw new ArgumentException($"query rows must start on a block boundary; {input.QueryStart} is inside block {first}", nameof(input));
        int end = input.QueryStart + input.QueryTokens;
        var segments = new List<QuerySegment>();
        for (int qb = first; qb < layout.BlockCount && layout.BlockStart(qb) < end; qb++)
        {
            int start = layout.BlockStart(qb), length = layout.BlockLength(qb);
            if (length == 0) continue;
            if (start + length > end) throw new ArgumentException($"query rows must end on a block boundary; {end} is inside block {qb}", nameof(input));
            // Masses only: blocks without a measured row have nothing to contribute.
            if (output is null && massRows is { } wanted && (start - input.QueryStart >= wanted.Start + wanted.Count || start - input.QueryStart + length <= wanted.Start)) continue;
            var keyBlocks = layout.KeyBlocks(qb);
            var causal = layout.CausalFlags(qb);
            var ranges = new KeyRange[keyBlocks.Length];
            for (int i = 0; i < keyBlocks.Length; i++)
            {
                int kb = keyBlocks[i];
                ranges[i] = new KeyRange(input.Keys, input.Values, layout.BlockStart(kb), layout.BlockLength(kb), causal[i], layout.BlockStart(kb), kb);
            }
            segments.Add(new QuerySegment(start - input.QueryStart, length, start, ranges));
        }
        return new AttentionPlan(input, segments, NewMasses(input, massRows, layout.BlockCount), massRows ?? default);
    }

    /// <summary>
    /// A query block against cached context blocks (laid end to end, or where they were encoded); cached keys keep their stored encoding and the
    /// ranges carry the rotation that moves the queries instead (see <see cref="KeyRange"/>).
    /// </summary>
    public static AttentionPlan QueryAgainstCache(CachedContext context, AttentionInput queryBlock, float[]? output, RowRange? massRows)
    {
        Check(queryBlock, output, massRows);
        if (queryBlock.QueryStart != 0 || queryBlock.Keys.Tokens != queryBlock.QueryTokens)
            throw new ArgumentException("the query block's own keys and values must cover exactly its query rows (QueryStart 0)", nameof(queryBlock));
        var blocks = context.Assemble();
        int queryPosition = context.QueryAt ?? (blocks.Count == 0 ? 0 : blocks[^1].AssembledPosition + blocks[^1].Block.Tokens);
        var ranges = new KeyRange[blocks.Count + 1];
        for (int b = 0; b < blocks.Count; b++)
        {
            var (block, assembled) = blocks[b];
            if (block.Keys.Heads != queryBlock.KvHeads || block.Keys.HeadDim != queryBlock.HeadDim)
                throw new ArgumentException($"cached block '{context.BlockIds[b]}' has {block.Keys.Heads}×{block.Keys.HeadDim} key heads, the query block {queryBlock.KvHeads}×{queryBlock.HeadDim}", nameof(context));
            // Every context key precedes every query token, so no causal test is needed; positions are for RoPE only.
            var range = new KeyRange(block.Keys, block.Values, 0, block.Tokens, false, assembled - queryPosition, b);
            long delta = (long)assembled - block.Position;
            if (context.Rope is { } rope && delta != 0)
            {
                var cos = new float[rope.HeadDim / 2];
                var sin = new float[rope.HeadDim / 2];
                rope.Angles(-delta, cos, sin);
                range = range with { Rope = rope, Cos = cos, Sin = sin };
            }
            ranges[b] = range;
        }
        ranges[^1] = new KeyRange(queryBlock.Keys, queryBlock.Values, 0, queryBlock.QueryTokens, true, 0, blocks.Count);
        return new AttentionPlan(queryBlock, [new QuerySegment(0, queryBlock.QueryTokens, 0, ranges)], NewMasses(queryBlock, massRows, blocks.Count + 1), massRows ?? default);
    }

    private static BlockMasses? NewMasses(AttentionInput input, RowRange? massRows, int blocks)
    {
        if (massRows is not { } rows) return null;
        if (rows.Start < 0 || rows.Count < 0 || rows.Start + rows.Count > input.QueryTokens)
            throw new ArgumentOutOfRangeException(nameof(massRows), $"mass rows {rows.Start}..{rows.Start + rows.Count} outside the {input.QueryTokens} query rows");
        return new BlockMasses(input.Heads, rows, blocks);
    }

    private static void Check(AttentionInput input, float[]? output, RowRange? massRows)
    {
        input.Validate();
        if (output is null && massRows is null) throw new ArgumentException("with no output, ask for masses: there is nothing else to compute", nameof(output));
        if (output is not null && output.Length != input.OutputLength) throw new ArgumentException($"output holds {output.Length} elements, expected {input.OutputLength}", nameof(output));
    }
}

/// <summary>
/// Query rows [Row0, Row0 + Rows) of every head (indices into the call's queries), the first at key position
/// <paramref name="Position0"/>, attending to <paramref name="Ranges"/> in order.
/// </summary>
internal readonly record struct QuerySegment(int Row0, int Rows, int Position0, KeyRange[] Ranges);
