using Search.Segmentation.Analysis;

namespace Search.Segmentation.Topics;

/// <summary>Settings of <see cref="LocalCohesionSegmenter"/>.</summary>
/// <param name="WindowTokens">Tokens of local context read on each side of a candidate break.</param>
/// <param name="MinSegmentUnits">Fewest units between two boundaries.</param>
/// <param name="Sensitivity">A gap is a boundary when its depth exceeds mean + Sensitivity × standard deviation of all depths.</param>
public sealed record CohesionOptions(int WindowTokens = 80, int MinSegmentUnits = 2, double Sensitivity = 1.0);

/// <summary>
/// Topic boundaries from lexical cohesion in local context: for every gap between units, the tf-idf
/// vectors of a window of text on each side are compared; a boundary sits where similarity dips
/// deeply relative to the peaks around it (TextTiling's depth score), chosen deepest first with a
/// minimum distance between boundaries. Only the local windows matter, as "Topic Segmentation Model
/// Focusing on Local Context" argues; the number of segments is not given.
/// </summary>
public sealed class LocalCohesionSegmenter(Analyzer analyzer, TermStatistics statistics, CohesionOptions options) : ITopicSegmenter
{
    /// <inheritdoc />
    public IReadOnlyList<int> Boundaries(IReadOnlyList<string> units)
    {
        int n = units.Count;
        if (n < 2) return [];
        var vectors = new Dictionary<string, double>[n];
        var tokens = new int[n];
        for (int i = 0; i < n; i++)
        {
            var terms = analyzer.Analyze(units[i]);
            tokens[i] = terms.Count;
            var v = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var t in terms) v[t] = v.GetValueOrDefault(t) + statistics.Idf(t);
            vectors[i] = v;
        }
        // similarity[g] compares the text before unit g with the text from unit g on (g = 1 … n − 1).
        var similarity = new double[n];
        for (int g = 1; g < n; g++)
        {
            var left = Window(vectors, tokens, g - 1, -1);
            var right = Window(vectors, tokens, g, +1);
            similarity[g] = Cosine(left, right);
        }
        var smooth = new double[n];
        for (int g = 1; g < n; g++)
        {
            double sum = similarity[g];
            int count = 1;
            if (g > 1) { sum += similarity[g - 1]; count++; }
            if (g < n - 1) { sum += similarity[g + 1]; count++; }
            smooth[g] = sum / count;
        }
        var depth = new double[n];
        for (int g = 1; g < n; g++)
        {
            double leftPeak = smooth[g], rightPeak = smooth[g];
            for (int j = g - 1; j >= 1 && smooth[j] >= leftPeak; j--) leftPeak = smooth[j];
            for (int j = g + 1; j < n && smooth[j] >= rightPeak; j++) rightPeak = smooth[j];
            depth[g] = leftPeak - smooth[g] + (rightPeak - smooth[g]);
        }
        double mean = 0, variance = 0;
        for (int g = 1; g < n; g++) mean += depth[g];
        mean /= n - 1;
        for (int g = 1; g < n; g++) variance += (depth[g] - mean) * (depth[g] - mean);
        double threshold = mean + options.Sensitivity * Math.Sqrt(variance / (n - 1));
        var candidates = new List<int>();
        for (int g = 1; g < n; g++)
            if (depth[g] > threshold && depth[g] > 0 && (g == 1 || depth[g] >= depth[g - 1]) && (g == n - 1 || depth[g] >= depth[g + 1])) candidates.Add(g);
        candidates.Sort((a, b) => depth[b].CompareTo(depth[a]));
        var chosen = new List<int>();
        foreach (int c in candidates)
        {
            if (c < options.MinSegmentUnits || n - c < options.MinSegmentUnits) continue;
            bool clear = true;
            foreach (int b in chosen) clear &= Math.Abs(b - c) >= options.MinSegmentUnits;
            if (clear) chosen.Add(c);
        }
        chosen.Sort();
        return chosen;
    }

    private Dictionary<string, double> Window(Dictionary<string, double>[] vectors, int[] tokens, int from, int step)
    {
        var sum = new Dictionary<string, double>(StringComparer.Ordinal);
        int read = 0;
        for (int i = from; i >= 0 && i < vectors.Length && (read < options.WindowTokens || i == from); i += step)
        {
            foreach (var (t, w) in vectors[i]) sum[t] = sum.GetValueOrDefault(t) + w;
            read += tokens[i];
        }
        return sum;
    }

    private static double Cosine(Dictionary<string, double> a, Dictionary<string, double> b)
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        double dot = 0, na = 0, nb = 0;
        foreach (var (t, w) in a)
        {
            na += w * w;
            if (b.TryGetValue(t, out double v)) dot += w * v;
        }
        foreach (var w in b.Values) nb += w * w;
        return dot / Math.Sqrt(na * nb);
    }
}
