using Search.GpuAttention.Cpu;

namespace Search.GpuAttention;

/// <summary>
/// The CPU implementation of <see cref="IAttentionBackend"/>: tiled online-softmax kernels on Vector256 FMA,
/// parallel over (head, query tile) work items.
/// </summary>
public sealed class CpuAttentionBackend : IAttentionBackend
{
    /// <summary>A backend using every core.</summary>
    public CpuAttentionBackend() : this(Environment.ProcessorCount) { }

    /// <summary>A backend using at most <paramref name="maxDegreeOfParallelism"/> threads (1 runs inline).</summary>
    public CpuAttentionBackend(int maxDegreeOfParallelism)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDegreeOfParallelism);
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
    }

    /// <summary>Threads the kernels may use.</summary>
    public int MaxDegreeOfParallelism { get; }

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public void Dense(AttentionInput input, bool causal, float[] output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Check(input, output, null);
        var ranges = new[] { new KeyRange(input.Keys, input.Values, 0, input.Keys.Tokens, causal, 0, -1) };
        var jobs = new List<TileJob>();
        AddTiles(jobs, input, 0, input.QueryTokens, input.QueryStart, ranges);
        Execute(input, jobs, output, null, default);
    }

    /// <inheritdoc />
    public BlockMasses? BlockSparse(AttentionInput input, BlockLayout layout, float[]? output, RowRange? massRows = null)
    {
        Check(input, output, massRows);
        if (layout.Tokens != input.Keys.Tokens) throw new ArgumentException($"layout covers {layout.Tokens} tokens, keys have {input.Keys.Tokens}", nameof(layout));
        int first = layout.BlockOf(input.QueryStart);
        if (input.QueryTokens > 0 && layout.BlockStart(first) != input.QueryStart)
            throw new ArgumentException($"query rows must start on a block boundary; {input.QueryStart} is inside block {first}", nameof(input));
        int end = input.QueryStart + input.QueryTokens;
        var jobs = new List<TileJob>();
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
            AddTiles(jobs, input, start - input.QueryStart, length, start, ranges);
        }
        var masses = massRows is { } rows ? NewMasses(input, rows, layout.BlockCount) : null;
        Execute(input, jobs, output, masses, massRows ?? default);
        return masses;
    }

    /// <inheritdoc />
    public BlockMasses? QueryAgainstCache(CachedContext context, AttentionInput queryBlock, float[]? output, RowRange? massRows = null)
    {
        Check(queryBlock, output, massRows);
        if (queryBlock.QueryStart != 0 || queryBlock.Keys.Tokens != queryBlock.QueryTokens)
            throw new ArgumentException("the query block's own keys and values must cover exactly its query rows (QueryStart 0)", nameof(queryBlock));
        var blocks = context.Assemble();
        int queryPosition = blocks.Count == 0 ? 0 : blocks[^1].AssembledPosition + blocks[^1].Block.Tokens;
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
        var jobs = new List<TileJob>();
        AddTiles(jobs, queryBlock, 0, queryBlock.QueryTokens, 0, ranges);
        var masses = massRows is { } rows ? NewMasses(queryBlock, rows, blocks.Count + 1) : null;
        Execute(queryBlock, jobs, output, masses, massRows ?? default);
        return masses;
    }

    private readonly record struct TileJob(int FirstHead, int HeadCount, int KvHead, int Row0, int RowsPerHead, int Position0, KeyRange[] Ranges);

    private static void AddTiles(List<TileJob> jobs, AttentionInput input, int row0, int rows, int position0, KeyRange[] ranges)
    {
        int group = input.Heads / input.KvHeads;
        if (rows > 0 && rows <= TileWorker.QueryTile / 2 && group > 1)
        {
            // Short query blocks stack several heads of a GQA group into one tile, so their shared K/V is read once.
            int pack = Math.Min(group, TileWorker.QueryTile / rows);
            for (int kv = 0; kv < input.KvHeads; kv++)
                for (int k = 0; k < group; k += pack)
                    jobs.Add(new TileJob(kv * group + k, Math.Min(pack, group - k), kv, row0, rows, position0, ranges));
            return;
        }
        for (int h = 0; h < input.Heads; h++)
            for (int t = 0; t < rows; t += TileWorker.QueryTile)
                jobs.Add(new TileJob(h, 1, h / group, row0 + t, Math.Min(TileWorker.QueryTile, rows - t), position0 + t, ranges));
    }

    private void Execute(AttentionInput input, List<TileJob> jobs, float[]? output, BlockMasses? masses, RowRange massRows)
    {
        int headDim = input.HeadDim;
        float scale = input.EffectiveScale;
        int maxRanges = 0;
        foreach (var job in jobs) maxRanges = Math.Max(maxRanges, job.Ranges.Length);
        var work = jobs.ToArray();
        void RunOne(int index)
        {
            var job = work[index];
            TileWorker.For(headDim, maxRanges).Run(input.Query, input.QueryTokens, job.FirstHead, job.HeadCount, job.KvHead, job.Row0, job.RowsPerHead, job.Position0,
                scale, job.Ranges, output, masses, massRows);
        }
        if (MaxDegreeOfParallelism == 1 || work.Length == 1)
        {
            for (int i = 0; i < work.Length; i++) RunOne(i);
        }
        else
        {
            Parallel.For(0, work.Length, new ParallelOptions { MaxDegreeOfParallelism = MaxDegreeOfParallelism }, RunOne);
        }
    }

    private static BlockMasses NewMasses(AttentionInput input, RowRange rows, int blocks)
    {
        if (rows.Start < 0 || rows.Count < 0 || rows.Start + rows.Count > input.QueryTokens)
            throw new ArgumentOutOfRangeException(nameof(rows), $"mass rows {rows.Start}..{rows.Start + rows.Count} outside the {input.QueryTokens} query rows");
        return new BlockMasses(input.Heads, rows, blocks);
    }

    private static void Check(AttentionInput input, float[]? output, RowRange? massRows)
    {
        input.Validate();
        if (output is null && massRows is null) throw new ArgumentException("with no output, ask for masses: there is nothing else to compute", nameof(output));
        if (output is not null && output.Length != input.OutputLength) throw new ArgumentException($"output holds {output.Length} elements, expected {input.OutputLength}", nameof(output));
    }
}
