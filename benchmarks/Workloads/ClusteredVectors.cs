namespace Search.Benchmarks.Workloads;

/// <summary>
/// Reproducible L2-normalised Gaussian-mixture vectors (centre + noise) for tests and benchmarks: real
/// embeddings cluster, and uniform random vectors would make every approximate index look broken.
/// </summary>
public sealed class ClusteredVectors
{
    private readonly float[] _centres;
    private readonly Random _random;

    /// <summary>Draws <paramref name="clusters"/> random unit centres; points get Gaussian noise of <paramref name="noise"/> per coordinate.</summary>
    public ClusteredVectors(int dimension, int clusters, float noise, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clusters);
        Dimension = dimension;
        Noise = noise;
        _random = new Random(seed);
        _centres = new float[clusters * dimension];
        for (int c = 0; c < clusters; c++)
        {
            var centre = _centres.AsSpan(c * dimension, dimension);
            for (int i = 0; i < dimension; i++) centre[i] = Gaussian();
            Normalize(centre);
        }
    }

    /// <summary>Vector length.</summary>
    public int Dimension { get; }

    /// <summary>Per-coordinate noise around a centre.</summary>
    public float Noise { get; }

    /// <summary>Fills <paramref name="output"/> (a multiple of <see cref="Dimension"/>) with points of random clusters.</summary>
    public void Fill(Span<float> output)
    {
        int clusters = _centres.Length / Dimension;
        for (int row = 0; row + Dimension <= output.Length; row += Dimension)
        {
            var centre = _centres.AsSpan(_random.Next(clusters) * Dimension, Dimension);
            var v = output.Slice(row, Dimension);
            for (int i = 0; i < Dimension; i++) v[i] = centre[i] + Noise * Gaussian();
            Normalize(v);
        }
    }

    /// <summary>A new array of <paramref name="count"/> points.</summary>
    public float[] Next(int count)
    {
        var data = new float[(long)count * Dimension];
        Fill(data);
        return data;
    }

    /// <summary>Scales <paramref name="v"/> to unit length (leaves a zero vector alone).</summary>
    public static void Normalize(Span<float> v)
    {
        double sum = 0;
        foreach (float x in v) sum += (double)x * x;
        if (sum == 0) return;
        float scale = (float)(1 / Math.Sqrt(sum));
        for (int i = 0; i < v.Length; i++) v[i] *= scale;
    }

    private float Gaussian()
    {
        // Box–Muller; 1 - NextDouble() keeps the logarithm finite.
        double u = 1 - _random.NextDouble(), w = _random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * w));
    }
}
