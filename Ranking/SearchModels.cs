using Search.Segmentation;
namespace Search.Ranking;

/// <summary>A search request after validation.</summary>
/// <param name="Query">Free text.</param>
/// <param name="K">Number of hits (1–1000).</param>
/// <param name="GroupByDocument">One hit per document (its best segment) instead of one per segment.</param>
/// <param name="Filters">Metadata equality filters: a document matches when each key's value equals the given one (or, for an array, contains it).</param>
/// <param name="Mode">The retrieval mode: bm25, dense, situated, hybrid or ranked.</param>
public sealed record SearchRequest(string Query, int K = 10, bool GroupByDocument = false, IReadOnlyDictionary<string, string>? Filters = null, string Mode = SearchModes.Bm25);

/// <summary>The retrieval modes the service knows.</summary>
public static class SearchModes
{
    /// <summary>Lexical BM25 over segment fields.</summary>
    public const string Bm25 = "bm25";

    /// <summary>Nearest segments by the collection's own embeddings of their text.</summary>
    public const string Dense = "dense";

    /// <summary>Nearest segments by embeddings of each segment in its context (title, section or chapter, neighbours).</summary>
    public const string Situated = "situated";

    /// <summary>BM25 and dense candidates fused.</summary>
    public const string Hybrid = "hybrid";

    /// <summary>The hybrid candidates re-scored by the collection's ranker.</summary>
    public const string Ranked = "ranked";

    /// <summary>Every supported mode.</summary>
    public static readonly IReadOnlyList<string> All = [Bm25, Dense, Situated, Hybrid, Ranked];
}

/// <summary>One search result: the passage, where it sits, how it scored, and the stretch of it that answers (<see cref="Answers.AnswerFinder"/>).</summary>
public sealed record SearchHit(
    int Rank,
    string DocumentId,
    string Title,
    int Segment,
    string Text,
    string SectionPath,
    double? StartSeconds,
    double? EndSeconds,
    string? Speaker,
    double Score,
    IReadOnlyDictionary<string, double> Components,
    Chapter? Chapter = null,
    Answers.AnswerSpan? Answer = null);

/// <summary>
/// How current the index a search read was: the generation, the store's latest change, and the change sequence
/// each searchable stage had applied (a write after it is stored but not yet searchable that way).
/// </summary>
public sealed record IndexFreshness(int Generation, long LatestChange, long Lexical, long Dense);

/// <summary>The hits for a query, how long it took, what it read, and anything the caller should know about the answer (such as a dense side not built yet).</summary>
public sealed record SearchResponse(string Query, string Mode, IReadOnlyList<SearchHit> Hits, double TookMs, IndexFreshness Index, IReadOnlyList<string> Warnings);
