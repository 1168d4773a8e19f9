using System.Text.RegularExpressions;
using Search.Segmentation.Analysis;

namespace Search.Ranking.Answers;

/// <summary>
/// Finds where in a passage the answer sits: the passage's units (transcript turns and paragraphs, or sentences when it
/// is one paragraph) are weighed by the idf of the query terms each contains, and the answer is the run of units with
/// the largest total weight above the passage's average unit (a maximum-sum window): the turns that talk about what was
/// asked, without the ones around them that do not.
/// </summary>
public sealed partial class AnswerFinder
{
    private readonly Dictionary<string, double> _idf;
    private readonly Dictionary<string, double>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly TermSink _sink;
    private double _sum;

    /// <summary>A finder for a query given as its analysed terms and their idf in the collection; one search's own (it keeps scratch state).</summary>
    public AnswerFinder(IReadOnlyDictionary<string, double> termIdf)
    {
        _idf = new Dictionary<string, double>(termIdf, StringComparer.Ordinal);
        _lookup = _idf.GetAlternateLookup<ReadOnlySpan<char>>();
        _sink = Add;
    }

    /// <summary>The answering stretch of <paramref name="text"/>, or null when no unit stands out (no query term, one unit, or all alike).</summary>
    public AnswerSpan? Find(string text)
    {
        if (_idf.Count == 0) return null;
        var units = Units(text);
        if (units.Count < 2) return null;
        Span<double> weight = units.Count <= 256 ? stackalloc double[units.Count] : new double[units.Count];
        double total = 0, best = 0;
        for (int u = 0; u < units.Count; u++)
        {
            weight[u] = Weigh(text.AsSpan(units[u].Start, units[u].End - units[u].Start));
            total += weight[u];
            best = Math.Max(best, weight[u]);
        }
        if (best <= 0) return null;
        double mean = total / units.Count;
        // Kadane over the weights less their mean: the run whose units carry the most weight beyond an average unit's.
        double run = 0, bestRun = 0;
        int runStart = 0, first = -1, last = -1;
        for (int u = 0; u < units.Count; u++)
        {
            if (run <= 0)
            {
                run = 0;
                runStart = u;
            }
            run += weight[u] - mean;
            // Beyond rounding: units that weigh alike make no answer.
            if (run > bestRun + 1e-9 * mean)
            {
                bestRun = run;
                first = runStart;
                last = u;
            }
        }
        if (first < 0) return null;
        return new AnswerSpan(units[first].Start, units[last].End);
    }

    private double Weigh(ReadOnlySpan<char> unit)
    {
        _seen.Clear();
        _sum = 0;
        Analyzer.English.Analyze(unit, _sink);
        return _sum;
    }

    // One delegate for every unit of every hit this finder weighs, summing into a field rather than a captured local.
    private void Add(ReadOnlySpan<char> term)
    {
        if (_lookup.TryGetValue(term, out string? key, out double idf) && _seen.Add(key)) _sum += idf;
    }

    // Paragraphs (a transcript's turns are paragraphs), or the sentences of a passage that is one paragraph; trimmed.
    private static List<(int Start, int End)> Units(string text)
    {
        var units = new List<(int, int)>();
        Split(text, ParagraphBreak(), units);
        if (units.Count >= 2) return units;
        units.Clear();
        Split(text, SentenceBreak(), units);
        return units;
    }

    private static void Split(string text, Regex separator, List<(int, int)> units)
    {
        int start = 0;
        foreach (var match in separator.EnumerateMatches(text))
        {
            Add(text, start, match.Index, units);
            start = match.Index + match.Length;
        }
        Add(text, start, text.Length, units);
    }

    private static void Add(string text, int start, int end, List<(int, int)> units)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end > start) units.Add((start, end));
    }

    [GeneratedRegex(@"\n\s*\n")]
    private static partial Regex ParagraphBreak();

    // After a sentence's end mark and its closing quotes or brackets, before white space and a capital, digit or quote.
    [GeneratedRegex(@"(?<=[.!?][""'”’)\]]*)\s+(?=[\p{Lu}\d""'“‘(\[])")]
    private static partial Regex SentenceBreak();
}
