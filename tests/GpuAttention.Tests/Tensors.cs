namespace Search.GpuAttention.Tests;

/// <summary>Seeded random tensors for the kernel tests.</summary>
internal static class Tensors
{
    public static float[] Random(Random random, int length, double amplitude = 1)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = (float)((random.NextDouble() * 2 - 1) * amplitude);
        return data;
    }

    public static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            if (!(error <= worst)) { worst = error; at = i; }
        }
        Assert.True(worst <= tolerance, $"max error {worst:g3} at {at} (expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)})");
    }
}
