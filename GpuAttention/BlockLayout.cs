namespace Search.GpuAttention;

/// <summary>
/// A sequence cut into contiguous blocks plus, per query block, the key blocks it may attend to (a CSR list);
/// a pair on the diagonal can be causal (a token sees keys at its own position or earlier).
/// </summary>
public sealed class BlockLayout
{
    private readonly int[] _starts;
    private readonly int[] _lengths;
    private readonly int[] _rowStart;   // CSR row pointers, BlockCount + 1 entries
    private readonly int[] _keyBlocks;  // allowed key blocks, ascending within a query block
    private readonly bool[] _causal;    // per allowed pair: causal mask inside the pair

    private BlockLayout(int[] lengths, int[] rowStart, int[] keyBlocks, bool[] causal)
    {
        _lengths = lengths;
        _starts = new int[lengths.Length];
        int total = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(lengths[b]);
            _starts[b] = total;
            total = checked(total + lengths[b]);
        }
        Tokens = total;
        _rowStart = rowStart;
        _keyBlocks = keyBlocks;
        _causal = causal;
    }

    /// <summary>Number of blocks.</summary>
    public int BlockCount => _lengths.Length;

    /// <summary>Total tokens over all blocks.</summary>
    public int Tokens { get; }

    /// <summary>Number of allowed (query block, key block) pairs.</summary>
    public int PairCount => _keyBlocks.Length;

    /// <summary>First token of a block.</summary>
    public int BlockStart(int block) => _starts[block];

    /// <summary>Tokens in a block (may be 0).</summary>
    public int BlockLength(int block) => _lengths[block];

    /// <summary>The key blocks a query block attends to, ascending.</summary>
    public ReadOnlySpan<int> KeyBlocks(int queryBlock) => _keyBlocks.AsSpan(_rowStart[queryBlock], _rowStart[queryBlock + 1] - _rowStart[queryBlock]);

    /// <summary>Whether each pair in <see cref="KeyBlocks"/> is causal.</summary>
    public ReadOnlySpan<bool> CausalFlags(int queryBlock) => _causal.AsSpan(_rowStart[queryBlock], _rowStart[queryBlock + 1] - _rowStart[queryBlock]);

    /// <summary>The block holding a token.</summary>
    public int BlockOf(int token)
    {
        int i = Array.BinarySearch(_starts, token);
        if (i < 0) i = ~i - 1;
        while (i + 1 < _starts.Length && _starts[i + 1] == token) i++; // skip empty blocks sharing the start
        return i;
    }

    /// <summary>The explicit token-level mask the layout stands for (for references and tests, not for kernels).</summary>
    public bool Allows(int queryToken, int keyToken)
    {
        int qb = BlockOf(queryToken), kb = BlockOf(keyToken);
        var keys = KeyBlocks(qb);
        int i = keys.BinarySearch(kb);
        if (i < 0) return false;
        return !CausalFlags(qb)[i] || keyToken <= queryToken;
    }

    /// <summary>
    /// A layout from explicit allowed pairs; pairs on the diagonal (query block = key block) are causal when
    /// <paramref name="causalDiagonal"/> is set, pairs elsewhere are always full.
    /// </summary>
    public static BlockLayout FromPairs(IReadOnlyList<int> blockLengths, IEnumerable<(int QueryBlock, int KeyBlock)> pairs, bool causalDiagonal)
    {
        int n = blockLengths.Count;
        var perQuery = new List<int>[n];
        for (int b = 0; b < n; b++) perQuery[b] = [];
        foreach (var (q, k) in pairs)
        {
            if ((uint)q >= (uint)n || (uint)k >= (uint)n) throw new ArgumentOutOfRangeException(nameof(pairs), $"pair ({q}, {k}) outside {n} blocks");
            perQuery[q].Add(k);
        }
        var rowStart = new int[n + 1];
        var keys = new List<int>();
        var causal = new List<bool>();
        for (int q = 0; q < n; q++)
        {
            perQuery[q].Sort();
            int previous = -1;
            foreach (int k in perQuery[q])
            {
                if (k == previous) continue;
                keys.Add(k);
                causal.Add(causalDiagonal && k == q);
                previous = k;
            }
            rowStart[q + 1] = keys.Count;
        }
        return new BlockLayout(blockLengths.ToArray(), rowStart, keys.ToArray(), causal.ToArray());
    }

    /// <summary>Every block sees every block (bidirectional) or every earlier block plus itself causally.</summary>
    public static BlockLayout Dense(IReadOnlyList<int> blockLengths, bool causal)
    {
        var pairs = new List<(int, int)>();
        for (int q = 0; q < blockLengths.Count; q++)
            for (int k = 0; k < blockLengths.Count; k++)
                if (!causal || k <= q) pairs.Add((q, k));
        return FromPairs(blockLengths, pairs, causal);
    }

    /// <summary>
    /// The BlockRank layout [instruction][doc 1]…[doc N][query]: the instruction is causal in itself, each
    /// document sees the instruction and itself causally, the query sees everything before it and itself causally.
    /// Block 0 is the instruction, blocks 1..N the documents, block N + 1 the query.
    /// </summary>
    public static BlockLayout BlockRank(int instructionLength, IReadOnlyList<int> documentLengths, int queryLength)
    {
        int n = documentLengths.Count + 2, query = n - 1;
        var lengths = new int[n];
        lengths[0] = instructionLength;
        for (int d = 0; d < documentLengths.Count; d++) lengths[d + 1] = documentLengths[d];
        lengths[query] = queryLength;
        var pairs = new List<(int, int)> { (0, 0) };
        for (int d = 1; d < query; d++)
        {
            pairs.Add((d, 0));
            pairs.Add((d, d));
        }
        for (int k = 0; k <= query; k++) pairs.Add((query, k));
        return FromPairs(lengths, pairs, causalDiagonal: true);
    }
}
