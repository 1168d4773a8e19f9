namespace Search.GpuAttention;

/// <summary>
/// Rotary position embedding: each pair of elements is rotated by position × theta^(-2i/d). Rotations compose,
/// R(p + d) = R(d)·R(p), so keys cached at position p move to p + d by one more rotation by d.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly double[] _inverseFrequency;

    /// <summary>A RoPE over the whole head vector.</summary>
    public RotaryEmbedding(int headDim, double theta = 10_000, RotaryPairing pairing = RotaryPairing.RotateHalf)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"RoPE needs an even head dimension, got {headDim}", nameof(headDim));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(theta);
        HeadDim = headDim;
        Theta = theta;
        Pairing = pairing;
        _inverseFrequency = new double[headDim / 2];
        for (int i = 0; i < headDim / 2; i++) _inverseFrequency[i] = Math.Pow(theta, -2.0 * i / headDim);
    }

    /// <summary>Elements per head vector.</summary>
    public int HeadDim { get; }

    /// <summary>The frequency base.</summary>
    public double Theta { get; }

    /// <summary>How elements are paired.</summary>
    public RotaryPairing Pairing { get; }

    /// <summary>Encodes consecutive rows [tokens][headDim] at positions start, start + 1, … in place.</summary>
    public void Apply(Span<float> rows, int startPosition)
    {
        int tokens = RowCount(rows);
        Span<float> cos = stackalloc float[HeadDim / 2], sin = stackalloc float[HeadDim / 2];
        for (int t = 0; t < tokens; t++)
        {
            Angles(startPosition + (long)t, cos, sin);
            RotateRow(rows.Slice(t * HeadDim, HeadDim), cos, sin);
        }
    }

    /// <summary>Rotates every row [tokens][headDim] by the same position delta (re-encodes p as p + delta) in place.</summary>
    public void Rotate(Span<float> rows, long positionDelta)
    {
        int tokens = RowCount(rows);
        if (positionDelta == 0 || tokens == 0) return;
        Span<float> cos = stackalloc float[HeadDim / 2], sin = stackalloc float[HeadDim / 2];
        Angles(positionDelta, cos, sin);
        for (int t = 0; t < tokens; t++) RotateRow(rows.Slice(t * HeadDim, HeadDim), cos, sin);
    }

    /// <summary>Cosines and sines of one position's angles (<see cref="HeadDim"/> / 2 each); computed in double so large
    /// positions stay exact to fp32. A device encoding rows with these values computes what <see cref="Apply"/> does.</summary>
    public void Angles(long position, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < _inverseFrequency.Length; i++)
        {
            double angle = position * _inverseFrequency[i];
            cos[i] = (float)Math.Cos(angle);
            sin[i] = (float)Math.Sin(angle);
        }
    }

    internal void RotateRow(Span<float> row, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = HeadDim / 2;
        for (int i = 0; i < half; i++)
        {
            int a = Pairing == RotaryPairing.RotateHalf ? i : 2 * i;
            int b = Pairing == RotaryPairing.RotateHalf ? i + half : 2 * i + 1;
            float x = row[a], y = row[b];
            row[a] = x * cos[i] - y * sin[i];
            row[b] = y * cos[i] + x * sin[i];
        }
    }

    private int RowCount(Span<float> rows)
    {
        if (rows.Length % HeadDim != 0) throw new ArgumentException($"{rows.Length} elements are not whole rows of {HeadDim}", nameof(rows));
        return rows.Length / HeadDim;
    }
}
