using Search.GpuAttention.Cpu;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// The SIMD matmul that attention throughput is compared with: per head, S = Q·Kᵀ and O += S·V over 64-key tiles
/// (the attention kernel's products and tiling, without softmax or masks) on the same register-blocked FMA product.
/// The key/value tiles cycle through an L2-sized set, so this is the compute-bound rate of the machine, not its
/// memory bandwidth: attention, which streams real K/V, is measured against the product at its best.
/// </summary>
public sealed unsafe class MatMulBaseline
{
    private const int Tile = 64;
    private const int ResidentTiles = 8; // K and V: 8 × 2 × 64 × 64 × 4 bytes = 256 KB per head
    private readonly int _heads, _rows, _keys, _headDim;
    private readonly float[] _queryT, _keysRows, _values, _output;

    /// <summary>Random operands: <paramref name="rows"/> query rows per head against <paramref name="keys"/> keys.</summary>
    public MatMulBaseline(int heads, int rows, int keys, int headDim, int seed = 42)
    {
        _heads = heads;
        _rows = rows;
        _keys = keys;
        _headDim = headDim;
        var random = new Random(seed);
        _queryT = Fill(random, heads * headDim * rows);
        _keysRows = Fill(random, heads * ResidentTiles * Tile * headDim);
        _values = Fill(random, heads * ResidentTiles * Tile * headDim);
        _output = GC.AllocateArray<float>(heads * rows * headDim, pinned: true);
    }

    /// <summary>Floating-point operations per <see cref="Run"/>.</summary>
    public double Flops => 4.0 * _heads * _rows * (double)_keys * _headDim;

    /// <summary>Runs the products, parallel over heads; each key tile is used by every row tile while it is in L1.</summary>
    public void Run()
    {
        Parallel.For(0, _heads, h =>
        {
            var scores = t_scores ??= GC.AllocateUninitializedArray<float>(Tile * Tile, pinned: true);
            fixed (float* qt = _queryT, k = _keysRows, v = _values, o = _output, s = scores)
            {
                new Span<float>(o + (long)h * _rows * _headDim, _rows * _headDim).Clear();
                for (int k0 = 0; k0 < _keys; k0 += Tile)
                {
                    int n = Math.Min(Tile, _keys - k0);
                    long tile = ((long)h * ResidentTiles + k0 / Tile % ResidentTiles) * Tile * _headDim;
                    for (int r0 = 0; r0 < _rows; r0 += Tile)
                    {
                        int rows = Math.Min(Tile, _rows - r0);
                        // Scores come out transposed (keys × rows), as in the attention kernel.
                        TileGemm.Multiply(k + tile, _headDim, 1, qt + (long)h * _headDim * _rows + r0, _rows, s, Tile, n, rows, _headDim, accumulate: false);
                        TileGemm.Multiply(s, 1, Tile, v + tile, _headDim, o + ((long)h * _rows + r0) * _headDim, _headDim, rows, _headDim, n, accumulate: true);
                    }
                }
            }
        });
    }

    [ThreadStatic] private static float[]? t_scores;

    private static float[] Fill(Random random, int length)
    {
        var data = GC.AllocateUninitializedArray<float>(length, pinned: true);
        for (int i = 0; i < length; i++) data[i] = (float)(random.NextDouble() * 2 - 1) * 0.1f;
        return data;
    }
}
