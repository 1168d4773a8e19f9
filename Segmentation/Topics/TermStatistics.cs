using Search.Segmentation.Analysis;

namespace Search.Segmentation.Topics;

/// <summary>Document frequencies of terms over a collection's units, for weighting lexical cohesion (never from labels).</summary>
public sealed class TermStatistics
{
    private readonly Dictionary<string, int> _documentFrequency = new(StringComparer.Ordinal);

    /// <summary>Units counted.</summary>
    public int Units { get; private set; }

    /// <summary>Counts the distinct terms of one unit.</summary>
    public void Add(IReadOnlyList<string> terms)
    {
        Units++;
        foreach (var t in new HashSet<string>(terms, StringComparer.Ordinal))
            _documentFrequency[t] = _documentFrequency.GetValueOrDefault(t) + 1;
    }

    /// <summary>Statistics over texts analysed with <paramref name="analyzer"/>.</summary>
    public static TermStatistics From(IEnumerable<string> units, Analyzer analyzer)
    {
        var stats = new TermStatistics();
        foreach (var u in units) stats.Add(analyzer.Analyze(u));
        return stats;
    }

    /// <summary>A smoothed inverse document frequency: rare terms weigh more, unseen ones most.</summary>
    public double Idf(string term) => Math.Log((Units + 1.0) / (_documentFrequency.GetValueOrDefault(term) + 0.5));
}
