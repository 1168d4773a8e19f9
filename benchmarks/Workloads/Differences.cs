namespace Search.Benchmarks.Workloads;

/// <summary>How far one pass's output is from another's.</summary>
public static class Differences
{
    /// <summary>The largest |a[i] − b[i]|.</summary>
    public static double MaxAbs(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"outputs of {a.Length} and {b.Length} elements");
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
