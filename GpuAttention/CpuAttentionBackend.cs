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
    public void Dense(AttentionInput input, bool causal, float[] output) => Execute(AttentionPlan.Dense(input, causal, output), output);

    /// <inheritdoc />
    public BlockMasses? BlockSparse(AttentionInput input, BlockLayout layout, float[]? output, RowRange? massRows = null) =>
        Execute(AttentionPlan.BlockSparse(input, layout, output, massRows), output);

    /// <inheritdoc />
    public BlockMasses? QueryAgainstCache(CachedContext context, AttentionInput queryBlock, float[]? output, RowRange? massRows = null) =>
        Execute(AttentionPlan.QueryAgainstCache(context, queryBlock, output, massRows), output);

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

    private BlockMasses? Execute(AttentionPlan plan, float[]? output)
    {
        var input = plan.Input;
        var masses = plan.Masses;
        var massRows = plan.MassRows;
        var jobs = new List<TileJob>();
        foreach (var segment in plan.Segments) AddTiles(jobs, input, segment.Row0, segment.Rows, segment.Position0, segment.Ranges);
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
        return masses;
    }
}
