using Search.Segmentation.Analysis;

namespace Search.Segmentation.Topics;

/// <summary>Settings of <see cref="DescriptionLengthSegmenter"/>.</summary>
/// <param name="BoundaryCost">Multiplier of the cost of opening a segment (log of the word count); higher means fewer, longer segments.</param>
/// <param name="MinSegmentUnits">Fewest units in a segment.</param>
/// <param name="Smoothing">Additive smoothing of each segment's unigram model (1 is Laplace, as in U00).</param>
public sealed record DescriptionLengthOptions(double BoundaryCost = 1.0, int MinSegmentUnits = 1, double Smoothing = 1.0)
{
    /// <summary>
    /// The settings per kind of document, chosen on the development sets (a coarse grid over smoothing
    /// 0.1–2.5 and segment price 0.35–12, no finer): smoothing 1.5 for all; a segment costs 0.5 × log(words)
    /// in prose and legal text but 5 × in transcripts, because conversation shifts topic through many short
    /// turns whose words recur little, so only a much higher price keeps chance dips from becoming topics.
    /// </summary>
    public static DescriptionLengthOptions ForKind(DocumentKind kind) => kind == DocumentKind.Transcript
        ? new DescriptionLengthOptions(BoundaryCost: 5.0, Smoothing: 1.5)
        : new DescriptionLengthOptions(BoundaryCost: 0.5, Smoothing: 1.5);
}

/// <summary>
/// The segmentation that describes the text most compactly (after Utiyama and Isahara 2001): each
/// segment has its own unigram language model with add-one smoothing, the cost of a segment is the
/// code length of its words under that model, every segment costs log(words) more, and dynamic
/// programming finds the exact minimum over all segmentations — the number of segments included.
/// </summary>
public sealed class DescriptionLengthSegmenter(Analyzer analyzer, DescriptionLengthOptions options) : ITopicSegmenter
{
    /// <inheritdoc />
    public IReadOnlyList<int> Boundaries(IReadOnlyList<string> units)
    {
        int n = units.Count;
        if (n < 2) return [];
        // Words as ids per unit.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var unitWords = new int[n][];
        int totalWords = 0;
        for (int i = 0; i < n; i++)
        {
            var terms = analyzer.Analyze(units[i]);
            var w = new int[terms.Count];
            for (int t = 0; t < terms.Count; t++)
            {
                if (!ids.TryGetValue(terms[t], out int id)) ids[terms[t]] = id = ids.Count;
                w[t] = id;
            }
            unitWords[i] = w;
            totalWords += w.Length;
        }
        if (totalWords == 0) return [];
        int vocabulary = ids.Count;
        double boundary = options.BoundaryCost * Math.Log(totalWords);
        double alpha = options.Smoothing;
        // The change in Σ f·log(f + α) when a count grows from f to f + 1, tabulated: counts are small.
        var gain = new double[Math.Min(totalWords, 4096) + 1];
        for (int f = 0; f < gain.Length; f++) gain[f] = Gain(f, alpha);
        // best[j] = cheapest description of units [0, j); from[j] = where its last segment starts.
        var best = new double[n + 1];
        var from = new int[n + 1];
        Array.Fill(best, double.PositiveInfinity);
        best[0] = 0;
        var counts = new int[vocabulary];
        var touched = new List<int>();
        int min = Math.Max(1, options.MinSegmentUnits);
        for (int i = 0; i < n; i++)
        {
            if (double.IsPositiveInfinity(best[i])) continue;
            // Extend a segment starting at unit i one unit at a time, updating its cost incrementally:
            // cost = words · log(words + αV) − Σ_w f(w) · log(f(w) + α).
            int words = 0;
            double sumFLogF = 0;
            for (int j = i; j < n; j++)
            {
                foreach (int w in unitWords[j])
                {
                    int f = counts[w];
                    if (f == 0) touched.Add(w);
                    sumFLogF += f < gain.Length ? gain[f] : Gain(f, alpha);
                    counts[w] = f + 1;
                    words++;
                }
                if (j + 1 - i < min && !(i == 0 && j + 1 == n)) continue; // only a whole short document may be shorter
                double cost = words * Math.Log(words + alpha * vocabulary) - sumFLogF + boundary;
                if (best[i] + cost < best[j + 1])
                {
                    best[j + 1] = best[i] + cost;
                    from[j + 1] = i;
                }
            }
            foreach (int w in touched) counts[w] = 0;
            touched.Clear();
        }
        var boundaries = new List<int>();
        for (int end = n; end > 0; end = from[end])
            if (from[end] > 0) boundaries.Add(from[end]);
        boundaries.Reverse();
        return boundaries;
    }

    private static double Gain(int f, double alpha) => (f + 1) * Math.Log(f + 1 + alpha) - (f == 0 ? 0 : f * Math.Log(f + alpha));
}
