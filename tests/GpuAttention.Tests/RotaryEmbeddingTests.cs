namespace Search.GpuAttention.Tests;

public sealed class RotaryEmbeddingTests
{
    [Theory]
    [InlineData(RotaryPairing.RotateHalf, 64, 10_000.0, 5, 123)]
    [InlineData(RotaryPairing.RotateHalf, 8, 500_000.0, 0, 4000)]
    [InlineData(RotaryPairing.Interleaved, 32, 10_000.0, 77, -50)]
    public void Rotating_by_a_delta_equals_encoding_at_the_shifted_position(RotaryPairing pairing, int d, double theta, int start, int delta)
    {
        var rope = new RotaryEmbedding(d, theta, pairing);
        var raw = Tensors.Random(new Random(d), 20 * d);
        var moved = raw.ToArray();
        rope.Apply(moved, start);
        rope.Rotate(moved, delta);
        var direct = raw.ToArray();
        rope.Apply(direct, start + delta);
        for (int i = 0; i < raw.Length; i++) Assert.Equal(direct[i], moved[i], 1e-5);
    }

    [Fact]
    public void RotateHalf_pairs_element_i_with_i_plus_half()
    {
        var rope = new RotaryEmbedding(4, theta: 1.0);  // every frequency is 1 radian per position
        float[] row = [1, 0, 0, 0];
        rope.Apply(row, 1);
        Assert.Equal(MathF.Cos(1), row[0], 1e-6);
        Assert.Equal(0f, row[1], 1e-6);
        Assert.Equal(MathF.Sin(1), row[2], 1e-6);
        Assert.Equal(0f, row[3], 1e-6);
    }

    [Fact]
    public void Scores_depend_only_on_the_relative_position()
    {
        var rope = new RotaryEmbedding(16);
        var q = Tensors.Random(new Random(1), 16);
        var k = Tensors.Random(new Random(2), 16);
        double Score(int qp, int kp)
        {
            var a = q.ToArray(); rope.Apply(a, qp);
            var b = k.ToArray(); rope.Apply(b, kp);
            double s = 0;
            for (int i = 0; i < 16; i++) s += a[i] * b[i];
            return s;
        }
        Assert.Equal(Score(10, 3), Score(1010, 1003), 1e-4);
    }

    [Fact]
    public void Odd_head_dimensions_are_rejected() => Assert.Throws<ArgumentException>(() => new RotaryEmbedding(7));
}
