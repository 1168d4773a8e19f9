namespace Search.Ranking.Reranking;

/// <summary>A hybrid candidate as a ranker sees it: its fusion scores and ranks, its BM25 field scores, and its passage and place.</summary>
/// <param name="HybridRank">1-based rank in the fused list.</param>
/// <param name="Bm25Rank">1-based rank in the lexical list; 0 when the lexical side did not retrieve it.</param>
/// <param name="Bm25">BM25 score; NaN when the lexical side did not retrieve it.</param>
/// <param name="DenseRank">1-based rank in the dense list; 0 when the dense side did not retrieve it.</param>
/// <param name="Dense">Cosine of the query and segment vectors.</param>
/// <param name="Vector">The segment's unit vector from the collection's embedder (empty when the dense side has none).</param>
public sealed record RankerCandidate(long DocumentId, int Ordinal, double Hybrid, int HybridRank, double Bm25, int Bm25Rank, double Bm25Title, double Bm25Section, double Bm25Body,
    double Dense, int DenseRank, string Text, string Title, string SectionPath, string? ChapterTitle, float[] Vector);

/// <summary>The query side of a ranking: its text and the inverse document frequency of each of its analysed terms in the collection.</summary>
public sealed record RankerQuery(string Text, IReadOnlyDictionary<string, double> TermIdf)
{
    /// <summary>The runs of letters and digits in <paramref name="text"/>, in order: the words whose terms carry an idf.</summary>
    public static IEnumerable<string> Words(string text)
    {
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool word = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (word && start < 0) start = i;
            if (word || start < 0) continue;
            yield return text[start..i];
            start = -1;
        }
    }
}

/// <summary>Re-scores a query's hybrid candidates; a higher score ranks first.</summary>
public interface IRanker
{
    /// <summary>What the ranker is (shown in responses and the admin status).</summary>
    string Name { get; }

    /// <summary>How many hybrid candidates it re-scores per query.</summary>
    int Depth { get; }

    /// <summary>One score per candidate, in the candidates' order.</summary>
    ValueTask<double[]> ScoreAsync(RankerQuery query, IReadOnlyList<RankerCandidate> candidates, CancellationToken ct);

    /// <summary>
    /// Loads what the ranker loads on first use (its models), so a host can do it at start and the first ranked search
    /// spends its time limit on ranking, not loading.
    /// </summary>
    ValueTask PrepareAsync(CancellationToken ct) => ValueTask.CompletedTask;
}
