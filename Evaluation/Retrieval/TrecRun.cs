using System.Globalization;

namespace Search.Evaluation.Retrieval;

/// <summary>
/// A TREC run (<c>qid Q0 docid rank score tag</c>). Scores are written with six decimals and the
/// ranking is re-sorted on the written scores (ties by document id), so that any scorer reading the
/// file sees exactly the ranking the harness evaluated.
/// </summary>
public sealed class TrecRun
{
    private readonly Dictionary<string, List<(string Doc, double Score)>> _byQuery = new(StringComparer.Ordinal);

    /// <summary>Adds a query's results (any order).</summary>
    public void Add(string queryId, IEnumerable<(string DocumentId, double Score)> results)
    {
        var list = new List<(string, double)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (doc, score) in results)
        {
            if (!seen.Add(doc)) continue;
            list.Add((doc, double.Parse(score.ToString("F6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)));
        }
        list.Sort((a, b) =>
        {
            int c = b.Item2.CompareTo(a.Item2);
            return c != 0 ? c : string.CompareOrdinal(a.Item1, b.Item1);
        });
        _byQuery[queryId] = list;
    }

    /// <summary>Each query's documents, best first.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Rankings()
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (q, list) in _byQuery) result[q] = list.ConvertAll(x => x.Doc);
        return result;
    }

    /// <summary>Writes the run file.</summary>
    public void Write(string path, string tag)
    {
        using var writer = new StreamWriter(path);
        var queries = new List<string>(_byQuery.Keys);
        queries.Sort(StringComparer.Ordinal);
        foreach (var q in queries)
        {
            int rank = 1;
            foreach (var (doc, score) in _byQuery[q])
                writer.Write($"{q} Q0 {doc} {rank++} {score.ToString("F6", CultureInfo.InvariantCulture)} {tag}\n");
        }
    }
}
