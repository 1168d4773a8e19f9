using System.Text;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// The lexical benchmark's corpus: documents of 40–80 whitespace tokens drawn from a Zipfian
/// vocabulary (exponent 1) of 200,000 terms, and OR/AND queries of 2–6 distinct terms drawn from the
/// same distribution. Fully determined by the seed, so both engines and every run see the same data.
/// </summary>
public sealed class SyntheticCorpus
{
    /// <summary>Vocabulary size.</summary>
    public const int Vocabulary = 200_000;

    private readonly double[] _cdf = new double[Vocabulary];
    private readonly Random _random;

    /// <summary>Creates the generator.</summary>
    public SyntheticCorpus(int seed)
    {
        _random = new Random(seed);
        double sum = 0;
        for (int r = 0; r < Vocabulary; r++) _cdf[r] = sum += 1.0 / (r + 1);
        for (int r = 0; r < Vocabulary; r++) _cdf[r] /= sum;
    }

    private int NextTerm()
    {
        int i = Array.BinarySearch(_cdf, _random.NextDouble());
        return i < 0 ? Math.Min(~i, Vocabulary - 1) : i;
    }

    /// <summary>Writes <paramref name="documents"/> documents, one per line.</summary>
    public void WriteDocuments(string path, int documents)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        var line = new StringBuilder(512);
        for (int d = 0; d < documents; d++)
        {
            line.Clear();
            int length = 40 + _random.Next(41);
            for (int t = 0; t < length; t++)
            {
                if (t > 0) line.Append(' ');
                line.Append('t').Append(NextTerm());
            }
            writer.Write(line);
            writer.Write('\n');
        }
    }

    /// <summary>Writes <paramref name="count"/> queries of 2–6 distinct terms, one per line.</summary>
    public void WriteQueries(string path, int count)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        var terms = new List<int>();
        for (int q = 0; q < count; q++)
        {
            terms.Clear();
            int length = 2 + _random.Next(5);
            while (terms.Count < length)
            {
                int t = NextTerm();
                if (!terms.Contains(t)) terms.Add(t);
            }
            writer.Write(string.Join(' ', terms.Select(t => "t" + t.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            writer.Write('\n');
        }
    }
}
