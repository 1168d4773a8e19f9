namespace Search.GpuAttention;

/// <summary>
/// Softmax probability mass from chosen query rows to each key block: per head (each row sums to 1 over
/// blocks) and summed over heads, which is how BlockRank scores documents.
/// </summary>
public sealed class BlockMasses
{
    private readonly float[] _perHead;

    internal BlockMasses(int heads, RowRange rows, int blocks)
    {
        Heads = heads;
        Rows = rows;
        Blocks = blocks;
        _perHead = new float[(long)heads * rows.Count * blocks];
    }

    /// <summary>Masses given as numbers (from a reference, or made up for a test): <paramref name="perHead"/> is [heads][rows][blocks].</summary>
    public static BlockMasses From(int heads, RowRange rows, int blocks, ReadOnlySpan<float> perHead)
    {
        var masses = new BlockMasses(heads, rows, blocks);
        if (perHead.Length != masses._perHead.Length) throw new ArgumentException($"expected {masses._perHead.Length} masses, got {perHead.Length}", nameof(perHead));
        perHead.CopyTo(masses._perHead);
        return masses;
    }

    /// <summary>Query heads.</summary>
    public int Heads { get; }

    /// <summary>The query rows measured.</summary>
    public RowRange Rows { get; }

    /// <summary>Key blocks (for a cached query: the context blocks, then the query block itself).</summary>
    public int Blocks { get; }

    /// <summary>Mass from one head's query row (index within <see cref="Rows"/>) to one block.</summary>
    public float PerHead(int head, int row, int block) => _perHead[((long)head * Rows.Count + row) * Blocks + block];

    /// <summary>Mass from a query row to a block, summed over heads (between 0 and <see cref="Heads"/>).</summary>
    public float Summed(int row, int block)
    {
        double sum = 0;
        for (int h = 0; h < Heads; h++) sum += PerHead(h, row, block);
        return (float)sum;
    }

    /// <summary>Mass to each block summed over heads and over all measured rows: one score per block.</summary>
    public double[] TotalPerBlock()
    {
        var totals = new double[Blocks];
        for (int h = 0; h < Heads; h++)
            for (int r = 0; r < Rows.Count; r++)
                for (int b = 0; b < Blocks; b++) totals[b] += PerHead(h, r, b);
        return totals;
    }

    /// <summary>Every per-head mass, [heads][rows][blocks]; device backends copy their results here.</summary>
    internal Span<float> All => _perHead;

    internal Span<float> HeadRow(int head, int row) => _perHead.AsSpan((int)(((long)head * Rows.Count + row) * Blocks), Blocks);
}
