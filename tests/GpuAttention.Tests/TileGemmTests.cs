using Search.GpuAttention.Cpu;

namespace Search.GpuAttention.Tests;

public sealed unsafe class TileGemmTests
{
    [Theory]
    [InlineData(64, 64, 64, false)]
    [InlineData(64, 32, 64, true)]
    [InlineData(7, 97, 33, true)]
    [InlineData(5, 40, 3, false)]
    [InlineData(1, 1, 1, true)]
    [InlineData(3, 130, 17, true)]
    public void Products_equal_plain_loops_for_both_A_layouts(int m, int n, int k, bool accumulate)
    {
        var random = new Random(m * 1000 + n * 10 + k);
        var a = Tensors.Random(random, m * k);
        var b = Tensors.Random(random, k * n);
        var start = Tensors.Random(random, m * n);
        foreach (bool transposedA in new[] { false, true })
        {
            var c = start.ToArray();
            fixed (float* pa = a, pb = b, pc = c)
            {
                // A as rows (stride k, 1) or as its transpose stored column-major (stride 1, m).
                var stored = transposedA ? Transpose(a, m, k) : a;
                fixed (float* ps = stored)
                    TileGemm.Multiply(ps, transposedA ? 1 : k, transposedA ? m : 1, pb, n, pc, n, m, n, k, accumulate);
            }
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double expected = accumulate ? start[i * n + j] : 0;
                    for (int p = 0; p < k; p++) expected += (double)a[i * k + p] * b[p * n + j];
                    Assert.Equal(expected, c[i * n + j], 1e-4);
                }
        }
    }

    private static float[] Transpose(float[] a, int m, int k)
    {
        var t = new float[a.Length];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) t[p * m + i] = a[i * k + p];
        return t;
    }
}
