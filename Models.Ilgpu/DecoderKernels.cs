using ILGPU;
using Search.GpuAttention.Ilgpu;

namespace Search.Models.Ilgpu;

/// <summary>The device kernels of a Llama-family decoder's dense layers, besides the matrix product (<see cref="MatMulKernel"/>):
/// the embedding lookup, residual RMSNorm, the SwiGLU gate, and laying out attention's operands.</summary>
internal static class DecoderKernels
{
    /// <summary>x[r] = embeddings[ids[r]], over rows × hidden elements.</summary>
    public static void Gather(Index1D i, int hidden, ArrayView<int> ids, ArrayView<float> embeddings, ArrayView<float> x)
    {
        int r = i / hidden, c = i - r * hidden;
        x[i] = embeddings[(long)ids[r] * hidden + c];
    }

    /// <summary>x[r] += y[r] when <see cref="NormArgs.Residual"/> is set; normed[r] = x[r] / √(mean(x[r]²) + ε) · weight. One group per row.</summary>
    public static void AddRmsNorm(NormArgs args, ArrayView<float> x, ArrayView<float> y, ArrayView<float> weight, ArrayView<float> normed)
    {
        var partial = SharedMemory.Allocate<float>(GroupSum.Threads);
        int t = Group.IdxX, width = args.Width;
        long row = (long)Grid.IdxX * width;
        float squares = 0f;
        for (int c = t; c < width; c += GroupSum.Threads)
        {
            float v = args.Residual != 0 ? x[row + c] + y[row + c] : x[row + c];
            x[row + c] = v;
            squares += v * v;
        }
        float inverse = DeviceMath.InverseSqrt(GroupSum.Of(partial, squares, t) / width + args.Epsilon);
        for (int c = t; c < width; c += GroupSum.Threads) normed[row + c] = x[row + c] * inverse * weight[c];
    }

    /// <summary>
    /// One thread per (row, head) of the stacked [q | k | v] product: the head's slice RMS-normed per head when the layer
    /// has that norm (queries and keys), RoPE-encoded at the row's angles (queries and keys), and written head-major
    /// ([heads][rows][headDim]) to q, k or v, the layout attention reads.
    /// </summary>
    public static void PrepareHeads(Index1D i, HeadArgs args, ArrayView<float> qkv, ArrayView<float> queryNorm, ArrayView<float> keyNorm,
        ArrayView<float> cos, ArrayView<float> sin, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v)
    {
        int slots = args.Heads + 2 * args.KvHeads, d = args.HeadDim;
        int r = i / slots, s = i - r * slots;
        long source = ((long)r * slots + s) * d;
        if (s < args.Heads) Head(args, qkv, source, args.QueryNorm != 0, queryNorm, true, cos, sin, r, q, ((long)s * args.Rows + r) * d);
        else if (s < args.Heads + args.KvHeads) Head(args, qkv, source, args.KeyNorm != 0, keyNorm, true, cos, sin, r, k, ((long)(s - args.Heads) * args.Rows + r) * d);
        else Head(args, qkv, source, false, keyNorm, false, cos, sin, r, v, ((long)(s - args.Heads - args.KvHeads) * args.Rows + r) * d);
    }

    private static void Head(HeadArgs args, ArrayView<float> qkv, long source, bool norm, ArrayView<float> weight, bool rope,
        ArrayView<float> cos, ArrayView<float> sin, int r, ArrayView<float> target, long row)
    {
        int d = args.HeadDim;
        float inverse = 1f;
        if (norm)
        {
            float squares = 0f;
            for (int c = 0; c < d; c++) squares += qkv[source + c] * qkv[source + c];
            inverse = DeviceMath.InverseSqrt(squares / d + args.Epsilon);
        }
        for (int c = 0; c < d; c++) target[row + c] = norm ? qkv[source + c] * inverse * weight[c] : qkv[source + c];
        if (!rope) return;
        int half = d / 2;
        long angles = (long)r * half;
        for (int p = 0; p < half; p++)
        {
            int a = args.Interleaved != 0 ? 2 * p : p, b = args.Interleaved != 0 ? 2 * p + 1 : p + half;
            float x = target[row + a], y = target[row + b], c = cos[angles + p], n = sin[angles + p];
            target[row + a] = x * c - y * n;
            target[row + b] = y * c + x * n;
        }
    }

    /// <summary>g[r][c] = silu(gateUp[r][c])·gateUp[r][i + c] over rows × i elements (gate and up stacked in one row of 2·i).</summary>
    public static void SiluGate(Index1D e, int intermediate, ArrayView<float> gateUp, ArrayView<float> g)
    {
        int r = e / intermediate, c = e - r * intermediate;
        long at = (long)r * 2 * intermediate + c;
        float gate = gateUp[at], up = gateUp[at + intermediate];
        // σ(x) from exp of a non-positive argument on either side of 0.
        float sigmoid = gate >= 0f ? 1f / (1f + DeviceMath.ExpNonPositive(-gate)) : DeviceMath.ExpNonPositive(gate) / (1f + DeviceMath.ExpNonPositive(gate));
        g[e] = gate * sigmoid * up;
    }
}

/// <summary>The scalar arguments of one <see cref="DecoderKernels.PrepareHeads"/> launch.</summary>
internal struct HeadArgs
{
    public int Rows;
    public int Heads;
    public int KvHeads;
    public int HeadDim;
    public int QueryNorm;
    public int KeyNorm;
    public int Interleaved;
    public float Epsilon;
}
