using ILGPU;
using Search.GpuAttention.Ilgpu;

namespace Search.Models.Ilgpu;

/// <summary>
/// The device matrix product of every dense layer, y = x·wᵀ + bias with w in Hugging Face's Linear layout [out][in]: a
/// group of 16×16 threads computes a 64×64 tile of y, each thread a 4×4 block of it, stepping through the inner
/// dimension 16 at a time with both operands' tiles staged in shared memory; BERT's GELU can be fused into the store.
/// </summary>
internal static class MatMulKernel
{
    public const int Tile = 64, Depth = 16, Threads = 256;
    private const int Side = 16, Block = 4;

    // Abramowitz & Stegun 7.1.26, the CPU kernels' erf (|error| ≤ 1.5e-7).
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /// <summary>y[M][N] = x[M][K]·wᵀ + bias (w is [N][K], Hugging Face's Linear layout), then GELU when asked; launched over tiles of <see cref="Tile"/>².</summary>
    public static void Gemm(GemmArgs args, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y)
    {
        var xs = SharedMemory.Allocate<float>(Depth * Tile); // [k][m]
        var ws = SharedMemory.Allocate<float>(Depth * Tile); // [k][n]
        int t = Group.IdxX;
        int tx = t % Side, ty = t / Side;
        int m0 = Grid.IdxX / args.TilesN * Tile, n0 = Grid.IdxX % args.TilesN * Tile;
        int rows = args.M, columns = args.N, depth = args.K;
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int k0 = 0; k0 < depth; k0 += Depth)
        {
            // Consecutive threads read consecutive k of one row: coalesced reads of both row-major operands.
            for (int e = t; e < Depth * Tile; e += Threads)
            {
                int row = e / Depth, kk = e - row * Depth, k = k0 + kk;
                int m = m0 + row, n = n0 + row;
                xs[kk * Tile + row] = m < rows && k < depth ? x[(long)m * depth + k] : 0f;
                ws[kk * Tile + row] = n < columns && k < depth ? w[(long)n * depth + k] : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < Depth; kk++)
            {
                int a = kk * Tile + ty * Block, b = kk * Tile + tx * Block;
                float a0 = xs[a], a1 = xs[a + 1], a2 = xs[a + 2], a3 = xs[a + 3];
                float b0 = ws[b], b1 = ws[b + 1], b2 = ws[b + 2], b3 = ws[b + 3];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        int mr = m0 + ty * Block, nc = n0 + tx * Block;
        Store(args, bias, y, mr, nc, c00, c01, c02, c03);
        Store(args, bias, y, mr + 1, nc, c10, c11, c12, c13);
        Store(args, bias, y, mr + 2, nc, c20, c21, c22, c23);
        Store(args, bias, y, mr + 3, nc, c30, c31, c32, c33);
    }

    private static void Store(GemmArgs args, ArrayView<float> bias, ArrayView<float> y, int m, int n, float v0, float v1, float v2, float v3)
    {
        if (m >= args.M) return;
        long at = (long)m * args.N + n;
        if (n < args.N) y[at] = Finish(args, v0 + bias[n]);
        if (n + 1 < args.N) y[at + 1] = Finish(args, v1 + bias[n + 1]);
        if (n + 2 < args.N) y[at + 2] = Finish(args, v2 + bias[n + 2]);
        if (n + 3 < args.N) y[at + 3] = Finish(args, v3 + bias[n + 3]);
    }

    private static float Finish(GemmArgs args, float v) => args.Gelu != 0 ? Gelu(v) : v;

    /// <summary>v·Φ(v) = 0.5·v·(1 + erf(v/√2)), HF's "gelu", as the CPU kernels compute it.</summary>
    private static float Gelu(float v)
    {
        float a = (v < 0f ? -v : v) * 0.70710678f;
        float t = 1f / (1f + P * a);
        float erfAbs = 1f - t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * DeviceMath.ExpNonPositive(-(a * a));
        return 0.5f * v * (1f + (v < 0f ? -erfAbs : erfAbs));
    }
}

/// <summary>The scalar arguments of one <see cref="MatMulKernel.Gemm"/> launch.</summary>
internal struct GemmArgs
{
    public int M;
    public int N;
    public int K;
    public int TilesN;
    public int Gelu;
}
