using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Search.Indexing.Vectors;

/// <summary>
/// Inner products of one query against contiguous rows. Four rows per pass share every load of the query,
/// which is what keeps the exact scan near memory bandwidth rather than load-port bound.
/// </summary>
internal static class DotKernels
{
    /// <summary>Writes <c>rows</c> scores: <c>output[r] = query · matrix[r * d ..]</c>.</summary>
    public static unsafe void DotRows(float* query, float* matrix, int rows, int d, float* output)
    {
        int r = 0;
        if (Vector256.IsHardwareAccelerated && d >= 8)
        {
            for (; r + 4 <= rows; r += 4) Dot4(query, matrix + (long)r * d, d, output + r);
        }
        for (; r < rows; r++) output[r] = Dot(query, matrix + (long)r * d, d);
    }

    /// <summary>One inner product.</summary>
    public static unsafe float Dot(float* x, float* y, int d)
    {
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && d >= 8)
        {
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            for (; i + 16 <= d; i += 16)
            {
                a0 = Fma(Vector256.Load(x + i), Vector256.Load(y + i), a0);
                a1 = Fma(Vector256.Load(x + i + 8), Vector256.Load(y + i + 8), a1);
            }
            for (; i + 8 <= d; i += 8) a0 = Fma(Vector256.Load(x + i), Vector256.Load(y + i), a0);
            sum = Vector256.Sum(a0 + a1);
        }
        for (; i < d; i++) sum += x[i] * y[i];
        return sum;
    }

    private static unsafe void Dot4(float* q, float* y, int d, float* output)
    {
        float* y1 = y + d, y2 = y1 + d, y3 = y2 + d;
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero;
        var a3 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= d; i += 8)
        {
            var qv = Vector256.Load(q + i);
            a0 = Fma(qv, Vector256.Load(y + i), a0);
            a1 = Fma(qv, Vector256.Load(y1 + i), a1);
            a2 = Fma(qv, Vector256.Load(y2 + i), a2);
            a3 = Fma(qv, Vector256.Load(y3 + i), a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < d; i++)
        {
            float qi = q[i];
            s0 += qi * y[i];
            s1 += qi * y1[i];
            s2 += qi * y2[i];
            s3 += qi * y3[i];
        }
        output[0] = s0;
        output[1] = s1;
        output[2] = s2;
        output[3] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
}
