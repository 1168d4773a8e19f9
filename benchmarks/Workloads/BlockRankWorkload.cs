using Search.GpuAttention;
using Search.GpuAttention.Caching;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// The benchmark scenario shared by <see cref="AttentionQuickBenchmark"/> and benchmarks/Attention: an instruction
/// block and N document blocks of 128 tokens plus a 32-token query block, 16 heads of 64, fp32, with the three ways
/// of computing it (dense causal, BlockRank block-sparse, query against cached document K/V) and a matmul baseline.
/// </summary>
public sealed class BlockRankWorkload
{
    /// <summary>Tokens per instruction and document block.</summary>
    public const int BlockTokens = 128;
    /// <summary>Tokens in the query block.</summary>
    public const int QueryTokens = 32;
    /// <summary>Elements per head.</summary>
    public const int HeadDim = 64;
    /// <summary>Query and key/value heads.</summary>
    public const int Heads = 16;

    private readonly IAttentionBackend _backend;
    private readonly AttentionInput _full;
    private readonly AttentionInput _queryBlock;
    private readonly BlockLayout _layout;
    private readonly CachedContext _context;
    private readonly float[] _fullOutput, _queryOutput;
    private readonly MatMulBaseline _baseline;

    /// <summary>Builds seeded random inputs for <paramref name="documents"/> document blocks, keys and values stored in <paramref name="precision"/>.</summary>
    public BlockRankWorkload(int documents, IAttentionBackend? backend = null, int seed = 42, KvPrecision precision = KvPrecision.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(documents);
        Documents = documents;
        _backend = backend ?? new CpuAttentionBackend();
        var docLengths = new int[documents];
        Array.Fill(docLengths, BlockTokens);
        _layout = BlockLayout.BlockRank(BlockTokens, docLengths, QueryTokens);
        Tokens = _layout.Tokens;
        int queryStart = _layout.BlockStart(_layout.BlockCount - 1);
        var random = new Random(seed);
        var query = RandomArray(random, Heads * Tokens * HeadDim);
        var keys = KvTensor.FromSingle(RandomArray(random, Heads * Tokens * HeadDim), Heads, Tokens, HeadDim, precision);
        var values = KvTensor.FromSingle(RandomArray(random, Heads * Tokens * HeadDim), Heads, Tokens, HeadDim, precision);
        _full = new AttentionInput(query, Heads, Tokens, 0, keys, values);
        _fullOutput = new float[_full.OutputLength];

        // The cache holds each context block encoded as it was prefilled: the instruction at 0, every document right after it.
        var rope = new RotaryEmbedding(HeadDim);
        var cache = new BlockKvCache();
        var ids = new List<string>();
        var rows = new float[BlockTokens * HeadDim];
        for (int b = 0; b < _layout.BlockCount - 1; b++)
        {
            string id = b == 0 ? "instruction" : $"doc-{b}";
            var k = KvTensor.Create(Heads, BlockTokens, HeadDim, precision);
            var v = KvTensor.Create(Heads, BlockTokens, HeadDim, precision);
            for (int h = 0; h < Heads; h++)
            {
                keys.Read(h, _layout.BlockStart(b), BlockTokens, rows);
                k.Write(h, 0, BlockTokens, rows);
                values.Read(h, _layout.BlockStart(b), BlockTokens, rows);
                v.Write(h, 0, BlockTokens, rows);
            }
            cache.Put(id, 0, k, v, b == 0 ? 0 : BlockTokens);
            ids.Add(id);
        }
        _context = new CachedContext(cache, 0, ids, rope);
        var queryRows = new float[Heads * QueryTokens * HeadDim];
        for (int h = 0; h < Heads; h++) Array.Copy(query, (h * Tokens + queryStart) * HeadDim, queryRows, h * QueryTokens * HeadDim, QueryTokens * HeadDim);
        var ownKeys = KvTensor.Create(Heads, QueryTokens, HeadDim, precision);
        var ownValues = KvTensor.Create(Heads, QueryTokens, HeadDim, precision);
        rows = new float[QueryTokens * HeadDim];
        for (int h = 0; h < Heads; h++)
        {
            keys.Read(h, queryStart, QueryTokens, rows);
            ownKeys.Write(h, 0, QueryTokens, rows);
            values.Read(h, queryStart, QueryTokens, rows);
            ownValues.Write(h, 0, QueryTokens, rows);
        }
        _queryBlock = new AttentionInput(queryRows, Heads, QueryTokens, 0, ownKeys, ownValues);
        _queryOutput = new float[_queryBlock.OutputLength];
        _baseline = new MatMulBaseline(Heads, BlockTokens, Tokens, HeadDim, seed);
    }

    /// <summary>Document blocks.</summary>
    public int Documents { get; }

    /// <summary>Tokens in the whole context (instruction, documents, query).</summary>
    public int Tokens { get; }

    /// <summary>The mass rows of the query block within the full sequence.</summary>
    private RowRange QueryRowsInFull => new(Tokens - QueryTokens, QueryTokens);

    /// <summary>(a) dense causal attention over the whole context.</summary>
    public void DenseCausal() => _backend.Dense(_full, causal: true, _fullOutput);

    /// <summary>(b) BlockRank block-sparse attention over the whole context, with the query rows' block masses.</summary>
    public BlockMasses BlockSparse() => _backend.BlockSparse(_full, _layout, _fullOutput, QueryRowsInFull)!;

    /// <summary>(c) the query block only, against the cached instruction and document K/V (re-encoded to their offsets).</summary>
    public BlockMasses CachedQuery() => _backend.QueryAgainstCache(_context, _queryBlock, _queryOutput, new RowRange(0, QueryTokens))!;

    /// <summary>(c) for scoring only: block masses without the attention output (skips P·V).</summary>
    public BlockMasses CachedQueryMassesOnly() => _backend.QueryAgainstCache(_context, _queryBlock, null, new RowRange(0, QueryTokens))!;

    /// <summary>The matmul baseline: the same Q·Kᵀ and P·V products as one 128-row block attending densely to the context, without softmax, on cache-resident K/V tiles.</summary>
    public void MatMul() => _baseline.Run();

    /// <summary>Floating-point operations of (a): 4·headDim per visible (query, key) pair and head.</summary>
    public double DenseFlops => 4.0 * HeadDim * Heads * ((double)Tokens * (Tokens + 1) / 2);

    /// <summary>Floating-point operations of (b).</summary>
    public double SparseFlops
    {
        get
        {
            double pairs = 0;
            for (int qb = 0; qb < _layout.BlockCount; qb++)
            {
                var keys = _layout.KeyBlocks(qb);
                var causal = _layout.CausalFlags(qb);
                double length = _layout.BlockLength(qb);
                for (int i = 0; i < keys.Length; i++)
                    pairs += causal[i] ? length * (length + 1) / 2 : length * _layout.BlockLength(keys[i]);
            }
            return 4.0 * HeadDim * Heads * pairs;
        }
    }

    /// <summary>Floating-point operations of (c).</summary>
    public double CachedFlops => 4.0 * HeadDim * Heads * ((double)QueryTokens * (Tokens - QueryTokens) + QueryTokens * (QueryTokens + 1) / 2.0);

    /// <summary>Floating-point operations of the matmul baseline.</summary>
    public double MatMulFlops => _baseline.Flops;

    /// <summary>Seeded values uniform in [-1, 1).</summary>
    internal static float[] RandomArray(Random random, int length)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        return data;
    }
}
