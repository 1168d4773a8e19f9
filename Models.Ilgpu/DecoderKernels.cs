using ILGPU;
using Search.GpuAttention.Ilgpu;

namespace Search.Models.Ilgpu;

/// <summary>The device kernels of a Llama-family decoder's dense layers, besides the matrix product (<see cref="MatMulKernel"/>):
/// the embedding lookup, residual RMSNorm and the SwiGLU gate.</summary>
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
