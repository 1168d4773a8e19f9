using Search.Models.Kernels;

namespace Search.Models.Tests;

public class MatMulTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 5)]
    [InlineData(5, 33, 70)]
    [InlineData(9, 384, 200)]   // big enough for the parallel path, with a partial panel
    [InlineData(130, 96, 129)]  // several row chunks and a row tail
    public void Packed_linear_matches_a_double_precision_product_for_odd_shapes(int rows, int inDim, int outDim)
    {
        var random = new Random(rows * 1000 + inDim);
        float[] x = [.. Enumerable.Range(0, rows * inDim).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] w = [.. Enumerable.Range(0, outDim * inDim).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] bias = [.. Enumerable.Range(0, outDim).Select(_ => (float)random.NextDouble())];
        var y = new float[rows * outDim];
        LinearWeight.Pack(w, outDim, inDim, bias).Apply(x, rows, y);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < outDim; c++)
            {
                double expected = bias[c];
                for (int i = 0; i < inDim; i++) expected += (double)x[r * inDim + i] * w[c * inDim + i];
                Assert.True(Math.Abs(expected - y[r * outDim + c]) < 1e-4 * Math.Sqrt(inDim), $"({r}, {c}): {expected} vs {y[r * outDim + c]}");
            }
    }

    [Fact]
    public void Packing_and_applying_reject_shapes_that_disagree()
    {
        Assert.Throws<ArgumentException>(() => LinearWeight.Pack(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => LinearWeight.Pack(new float[6], 2, 3, new float[3]));
        Assert.Throws<ArgumentException>(() => LinearWeight.Pack(new float[6], 2, 3).Apply(new float[6], 2, new float[3]));
    }

    [Fact]
    public void Dot_handles_vector_bodies_and_tails()
    {
        float[] a = [.. Enumerable.Range(1, 19).Select(i => (float)i)];
        Assert.Equal(Enumerable.Range(1, 19).Sum(i => i * i), MatMul.Dot(a, a));
    }
}
