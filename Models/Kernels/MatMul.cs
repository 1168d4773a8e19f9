using System.Runtime.Intrinsics;

namespace Search.Models.Kernels;

/// <summary>Unpacked vector products for the rare one-row cases (logits) where packing a weight would not pay.</summary>
public static class MatMul
{
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
