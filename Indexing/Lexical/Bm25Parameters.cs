namespace Search.Indexing.Lexical;

/// <summary>
/// BM25 constants and field weights. k1 = 0.9, b = 0.4 are Anserini's defaults, tuned on TREC
/// collections of short passages; the score of a segment is the weighted sum of per-field BM25
/// scores sharing one segment-level idf.
/// </summary>
public sealed record Bm25Parameters(double K1 = 0.9, double B = 0.4, double TitleWeight = 1.0, double SectionWeight = 1.0, double BodyWeight = 1.0)
{
    /// <summary>Throws on parameters outside their meaningful range.</summary>
    public void Validate()
    {
        if (!(K1 >= 0) || double.IsInfinity(K1)) throw new ArgumentOutOfRangeException(nameof(K1), "k1 must be a finite number >= 0.");
        if (!(B >= 0 && B <= 1)) throw new ArgumentOutOfRangeException(nameof(B), "b must be between 0 and 1.");
        if (!(TitleWeight >= 0 && SectionWeight >= 0 && BodyWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(BodyWeight), "field weights must be >= 0.");
    }

    /// <summary>Lucene's BM25 idf, always positive: ln(1 + (N - df + 0.5) / (df + 0.5)).</summary>
    public static double Idf(long documentCount, long documentFrequency) =>
        Math.Log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));

    /// <summary>The saturated term-frequency part of BM25 for one field.</summary>
    public double Saturate(double tf, double length, double averageLength)
    {
        if (tf <= 0) return 0;
        double norm = averageLength > 0 ? 1 - B + B * length / averageLength : 1;
        return tf / (tf + K1 * norm);
    }
}
