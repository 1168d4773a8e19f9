using System.Runtime.Intrinsics;
using Search.GpuAttention.Cpu;

namespace Search.GpuAttention.Tests;

public sealed class NonPositiveExpTests
{
    [Fact]
    public void Matches_the_exact_exponential_over_the_softmax_domain()
    {
        var random = new Random(1);
        double worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            float x = i < 100 ? -i * 0.87f : (float)(-random.NextDouble() * (i % 2 == 0 ? 1 : 88));
            float actual = NonPositiveExp.Exp(Vector256.Create(x)).GetElement(3);
            double expected = Math.Exp(x);
            if (expected < 1e-37) continue; // subnormal results may flush; the softmax does not care
            worst = Math.Max(worst, Math.Abs(actual - expected) / expected);
        }
        Assert.True(worst < 3e-7, $"worst relative error {worst:g3}");
    }

    [Fact]
    public void The_sixteen_lane_version_agrees_with_the_eight_lane_one()
    {
        for (float x = -100f; x <= 0f; x += 0.037f)
        {
            float narrow = NonPositiveExp.Exp(Vector256.Create(x)).GetElement(0);
            float wide = NonPositiveExp.Exp(Vector512.Create(x)).GetElement(15);
            Assert.Equal(BitConverter.SingleToUInt32Bits(narrow), BitConverter.SingleToUInt32Bits(wide));
        }
        Assert.Equal(0f, NonPositiveExp.Exp(Vector512.Create(float.NegativeInfinity)).GetElement(0));
    }

    [Fact]
    public void Negative_infinity_and_deep_underflow_give_zero()
    {
        Assert.Equal(0f, NonPositiveExp.Exp(Vector256.Create(float.NegativeInfinity)).GetElement(0));
        Assert.Equal(0f, NonPositiveExp.Exp(Vector256.Create(-1000f)).GetElement(0));
        Assert.Equal(1f, NonPositiveExp.Exp(Vector256.Create(0f)).GetElement(0));
    }
}
