using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Search.Models.Kernels;

/// <summary>y = x·Wᵀ + b for a Hugging Face Linear (W row-major [out][in]): every output is a dot product of two
/// contiguous rows, computed four x rows at a time so each loaded W vector feeds four FMAs.</summary>
public static class MatMul
{
    // A block of W rows (64 × in × 4 bytes, e.g. 96 KB for in = 384) stays in L2 while all x rows stream past it.
    private const int ColumnBlock = 64;
    private const long ParallelThreshold = 1 << 17;

    /// <summary>Computes y[rows][outDim] = x[rows][inDim] · w[outDim][inDim]ᵀ (+ bias[outDim]).</summary>
    public static void Linear(float[] x, int rows, int inDim, float[] w, int outDim, float[]? bias, float[] y)
    {
        if (x.Length < rows * inDim || w.Length != outDim * inDim || y.Length < rows * outDim || (bias is not null && bias.Length != outDim))
            throw new ArgumentException($"shapes disagree: x {x.Length} for {rows}×{inDim}, w {w.Length} for {outDim}×{inDim}, y {y.Length}");
        int blocks = (outDim + ColumnBlock - 1) / ColumnBlock;
        if ((long)rows * inDim * outDim < ParallelThreshold || blocks == 1)
        {
            for (int b = 0; b < blocks; b++) ColumnBlockProduct(x, rows, inDim, w, outDim, bias, y, b);
            return;
        }
        Parallel.For(0, blocks, b => ColumnBlockProduct(x, rows, inDim, w, outDim, bias, y, b));
    }

    private static void ColumnBlockProduct(float[] x, int rows, int inDim, float[] w, int outDim, float[]? bias, float[] y, int block)
    {
        int c0 = block * ColumnBlock, c1 = Math.Min(outDim, c0 + ColumnBlock);
        ReadOnlySpan<float> xs = x, ws = w;
        Span<float> ys = y;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
            for (int c = c0; c < c1; c++)
            {
                ReadOnlySpan<float> wr = ws.Slice(c * inDim, inDim);
                Dot4(xs.Slice(r * inDim, 4 * inDim), inDim, wr, out float d0, out float d1, out float d2, out float d3);
                float b = bias is null ? 0f : bias[c];
                ys[r * outDim + c] = d0 + b;
                ys[(r + 1) * outDim + c] = d1 + b;
                ys[(r + 2) * outDim + c] = d2 + b;
                ys[(r + 3) * outDim + c] = d3 + b;
            }
        for (; r < rows; r++)
            for (int c = c0; c < c1; c++)
                ys[r * outDim + c] = Dot(xs.Slice(r * inDim, inDim), ws.Slice(c * inDim, inDim)) + (bias is null ? 0f : bias[c]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(ReadOnlySpan<float> x4, int n, ReadOnlySpan<float> w, out float d0, out float d1, out float d2, out float d3)
    {
        ReadOnlySpan<float> x0 = x4[..n], x1 = x4.Slice(n, n), x2 = x4.Slice(2 * n, n), x3 = x4.Slice(3 * n, n);
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Vector256<float> wv = Vector256.Create(w.Slice(i, 8));
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(x0.Slice(i, 8)), wv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Create(x1.Slice(i, 8)), wv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Create(x2.Slice(i, 8)), wv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Create(x3.Slice(i, 8)), wv, a3);
        }
        d0 = Vector256.Sum(a0);
        d1 = Vector256.Sum(a1);
        d2 = Vector256.Sum(a2);
        d3 = Vector256.Sum(a3);
        for (; i < n; i++)
        {
            d0 += x0[i] * w[i];
            d1 += x1[i] * w[i];
            d2 += x2[i] * w[i];
            d3 += x3[i] * w[i];
        }
    }

    /// <summary>A SIMD dot product of two equal-length vectors.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Vector256<float> acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= a.Length; i += 8)
            acc = Vector256.FusedMultiplyAdd(Vector256.Create(a.Slice(i, 8)), Vector256.Create(b.Slice(i, 8)), acc);
        float sum = Vector256.Sum(acc);
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
