using ILGPU;
using Search.GpuAttention.Ilgpu;

namespace Search.Models.Ilgpu;

/// <summary>
/// The device kernels of a BERT encoder pass over packed rows (row r is one real token of one sequence; padding is
/// never stored): embedding lookup, the tiled matrix product with its bias and GELU, residual LayerNorm, and
/// bidirectional attention of each sequence over its own rows. Every layer stays in device memory between them.
/// </summary>
internal static class EncoderKernels
{
    // Matrix product: a group of 16×16 threads computes a 64×64 tile of y, each thread a 4×4 block of it, stepping
    // through the inner dimension 16 at a time with both operands' tiles staged in shared memory.
    public const int GemmTile = 64, GemmDepth = 16, GemmThreads = 256;
    private const int GemmSide = 16, GemmBlock = 4;

    public const int NormThreads = 128;

    // Attention: one group per (run of up to QueryTile rows of one sequence, head), one thread per query row; key and
    // value tiles of KeyTile rows are staged in shared memory and read by every thread at the same address.
    public const int QueryTile = 64, KeyTile = 32, MaxHeadDim = 128;
    public const int TileFields = 3;
    public const int SequenceStart = 0, SequenceLength = 1, FirstRow = 2;

    // Abramowitz & Stegun 7.1.26, the CPU kernels' erf (|error| ≤ 1.5e-7).
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /// <summary>x[r] = word[ids[r]] + position[positions[r]] + type[0], over rows × hidden elements.</summary>
    public static void Embed(Index1D i, int hidden, ArrayView<int> ids, ArrayView<int> positions, ArrayView<float> word,
        ArrayView<float> position, ArrayView<float> type, ArrayView<float> x)
    {
        int r = i / hidden, c = i - r * hidden;
        x[i] = word[(long)ids[r] * hidden + c] + position[(long)positions[r] * hidden + c] + type[c];
    }

    /// <summary>y[M][N] = x[M][K]·wᵀ + bias (w is [N][K], Hugging Face's Linear layout), then GELU when asked; launched over tiles of <see cref="GemmTile"/>².</summary>
    public static void Gemm(GemmArgs args, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y)
    {
        var xs = SharedMemory.Allocate<float>(GemmDepth * GemmTile); // [k][m]
        var ws = SharedMemory.Allocate<float>(GemmDepth * GemmTile); // [k][n]
        int t = Group.IdxX;
        int tx = t % GemmSide, ty = t / GemmSide;
        int m0 = Grid.IdxX / args.TilesN * GemmTile, n0 = Grid.IdxX % args.TilesN * GemmTile;
        int rows = args.M, columns = args.N, depth = args.K;
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int k0 = 0; k0 < depth; k0 += GemmDepth)
        {
            // Consecutive threads read consecutive k of one row: coalesced reads of both row-major operands.
            for (int e = t; e < GemmDepth * GemmTile; e += GemmThreads)
            {
                int row = e / GemmDepth, kk = e - row * GemmDepth, k = k0 + kk;
                int m = m0 + row, n = n0 + row;
                xs[kk * GemmTile + row] = m < rows && k < depth ? x[(long)m * depth + k] : 0f;
                ws[kk * GemmTile + row] = n < columns && k < depth ? w[(long)n * depth + k] : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < GemmDepth; kk++)
            {
                int a = kk * GemmTile + ty * GemmBlock, b = kk * GemmTile + tx * GemmBlock;
                float a0 = xs[a], a1 = xs[a + 1], a2 = xs[a + 2], a3 = xs[a + 3];
                float b0 = ws[b], b1 = ws[b + 1], b2 = ws[b + 2], b3 = ws[b + 3];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        int mr = m0 + ty * GemmBlock, nc = n0 + tx * GemmBlock;
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

    /// <summary>x[r] = LayerNorm(x[r] + y[r]) (y left out when <see cref="NormArgs.Residual"/> is 0); one group per row.</summary>
    public static void AddLayerNorm(NormArgs args, ArrayView<float> x, ArrayView<float> y, ArrayView<float> weight, ArrayView<float> bias)
    {
        var partial = SharedMemory.Allocate<float>(NormThreads);
        int t = Group.IdxX, width = args.Width;
        long row = (long)Grid.IdxX * width;
        float sum = 0f;
        for (int c = t; c < width; c += NormThreads)
        {
            float v = args.Residual != 0 ? x[row + c] + y[row + c] : x[row + c];
            x[row + c] = v;
            sum += v;
        }
        float mean = GroupSum(partial, sum, t) / width;
        float squares = 0f;
        for (int c = t; c < width; c += NormThreads)
        {
            float d = x[row + c] - mean;
            squares += d * d;
        }
        float inverse = DeviceMath.InverseSqrt(GroupSum(partial, squares, t) / width + args.Epsilon);
        for (int c = t; c < width; c += NormThreads) x[row + c] = (x[row + c] - mean) * inverse * weight[c] + bias[c];
    }

    private static float GroupSum(ArrayView<float> partial, float value, int t)
    {
        partial[t] = value;
        Group.Barrier();
        for (int s = NormThreads / 2; s > 0; s >>= 1)
        {
            if (t < s) partial[t] += partial[t + s];
            Group.Barrier();
        }
        float total = partial[0];
        Group.Barrier();
        return total;
    }

    /// <summary>
    /// Bidirectional attention over packed rows of [q | k | v] (each hidden wide, head h at columns h·d): context[r]
    /// gets each head's softmax(q·kᵀ/√d)·v over the rows of r's own sequence, with an online softmax over key tiles.
    /// Launched over (tiles × heads) groups of <see cref="QueryTile"/> threads.
    /// </summary>
    public static void Attention(EncoderAttentionArgs args, ArrayView<int> tiles, ArrayView<float> qkv, ArrayView<float> context)
    {
        var keys = SharedMemory.Allocate<float>(KeyTile * MaxHeadDim);
        var values = SharedMemory.Allocate<float>(KeyTile * MaxHeadDim);
        var q = LocalMemory.Allocate<float>(MaxHeadDim);
        var acc = LocalMemory.Allocate<float>(MaxHeadDim);
        var scores = LocalMemory.Allocate<float>(KeyTile);
        int t = Group.IdxX;
        int tile = Grid.IdxX / args.Heads, head = Grid.IdxX - tile * args.Heads;
        long tb = (long)tile * TileFields;
        int start = tiles[tb + SequenceStart], length = tiles[tb + SequenceLength], first = tiles[tb + FirstRow];
        int d = args.HeadDim, hidden = args.Hidden;
        long stride = 3L * hidden;
        bool active = first + t < length;
        long queryAt = (start + first + t) * stride + head * d;
        for (int c = 0; c < d; c++)
        {
            q[c] = active ? qkv[queryAt + c] * args.Scale : 0f;
            acc[c] = 0f;
        }
        float max = float.NegativeInfinity, sum = 0f;
        for (int k0 = 0; k0 < length; k0 += KeyTile)
        {
            int n = length - k0 < KeyTile ? length - k0 : KeyTile;
            Group.Barrier();
            for (int e = t; e < n * d; e += QueryTile)
            {
                int j = e / d, c = e - j * d;
                long at = (start + k0 + j) * stride + head * d + c;
                keys[e] = qkv[at + hidden];
                values[e] = qkv[at + 2 * hidden];
            }
            Group.Barrier();
            if (!active) continue;
            float tileMax = float.NegativeInfinity;
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                int kj = j * d;
                for (int c = 0; c < d; c++) s += q[c] * keys[kj + c];
                scores[j] = s;
                if (s > tileMax) tileMax = s;
            }
            float newMax = tileMax > max ? tileMax : max;
            float alpha = DeviceMath.ExpNonPositive(max - newMax);
            sum *= alpha;
            for (int c = 0; c < d; c++) acc[c] *= alpha;
            for (int j = 0; j < n; j++)
            {
                float p = DeviceMath.ExpNonPositive(scores[j] - newMax);
                sum += p;
                int vj = j * d;
                for (int c = 0; c < d; c++) acc[c] += p * values[vj + c];
            }
            max = newMax;
        }
        if (!active) return;
        long outAt = (long)(start + first + t) * hidden + head * d;
        float inverse = 1f / sum;
        for (int c = 0; c < d; c++) context[outAt + c] = acc[c] * inverse;
    }
}

/// <summary>The scalar arguments of one <see cref="EncoderKernels.Gemm"/> launch.</summary>
internal struct GemmArgs
{
    public int M;
    public int N;
    public int K;
    public int TilesN;
    public int Gelu;
}

/// <summary>The scalar arguments of one <see cref="EncoderKernels.AddLayerNorm"/> launch.</summary>
internal struct NormArgs
{
    public int Width;
    public int Residual;
    public float Epsilon;
}

/// <summary>The scalar arguments of one <see cref="EncoderKernels.Attention"/> launch.</summary>
internal struct EncoderAttentionArgs
{
    public int Heads;
    public int HeadDim;
    public int Hidden;
    public float Scale;
}
