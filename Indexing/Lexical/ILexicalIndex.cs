namespace Search.Indexing.Lexical;

/// <summary>A segment as the lexical index sees it: the document's title, its section path or chapter title, and its body.</summary>
public sealed record IndexedSegment(int Ordinal, string SectionPath, string Body);

/// <summary>One document's segments, indexed and replaced together.</summary>
public sealed record IndexedDocument(long DocumentId, string Title, IReadOnlyList<IndexedSegment> Segments);

/// <summary>A ranked retrieval request against the lexical index.</summary>
/// <param name="Text">Free query text; it goes through the index's analyzer.</param>
/// <param name="K">How many hits to return.</param>
/// <param name="GroupByDocument">When true, one hit per document: its best segment (document score = max segment score).</param>
/// <param name="DocumentFilter">When set, only documents it accepts can be returned.</param>
/// <param name="RequireAllTerms">AND semantics: every query term must occur (in some field).</param>
/// <param name="Exhaustive">Score every match without pruning (the reference for pruned results).</param>
public sealed record LexicalQuery(string Text, int K, bool GroupByDocument = false, Func<long, bool>? DocumentFilter = null, bool RequireAllTerms = false, bool Exhaustive = false);

/// <summary>Per-field parts of a BM25 score; they sum to the hit's score.</summary>
public readonly record struct FieldScores(double Title, double Section, double Body);

/// <summary>A scored segment.</summary>
public readonly record struct LexicalHit(long DocumentId, int Ordinal, double Score, FieldScores Components);

/// <summary>A bulk load in progress: documents are added (replacing earlier versions); disposing flushes the rest.</summary>
public interface ILexicalBulkLoad : IDisposable
{
    /// <summary>Adds (or replaces) a document.</summary>
    void Add(IndexedDocument document);

    /// <summary>Publishes what is buffered as a segment.</summary>
    void Flush();
}

/// <summary>The lexical (BM25) index over segments. Implementations are safe for concurrent readers and one writer.</summary>
public interface ILexicalIndex : IDisposable
{
    /// <summary>Adds a document, replacing every segment it had before.</summary>
    void Upsert(IndexedDocument document);

    /// <summary>Removes a document and all its segments; unknown ids are ignored.</summary>
    void Remove(long documentId);

    /// <summary>Applies a batch of removals and upserts, visible to searches all at once.</summary>
    void Apply(IReadOnlyList<IndexedDocument> upserts, IReadOnlyCollection<long> removals);

    /// <summary>Starts loading many documents within a memory budget (for rebuilds); each flush publishes a segment.</summary>
    ILexicalBulkLoad StartBulkLoad(long bufferBytes);

    /// <summary>Makes the index durable as reflecting the store's changes up to <paramref name="sequence"/> (a no-op on disk for in-memory indexes).</summary>
    void Commit(long sequence);

    /// <summary>The store change sequence of the last commit; replaying the store's changes after it brings the index up to date.</summary>
    long CommittedSequence { get; }

    /// <summary>Live segments in the index.</summary>
    int SegmentCount { get; }

    /// <summary>Top hits, best first; equal scores are ordered by document id, then segment ordinal.</summary>
    IReadOnlyList<LexicalHit> Search(LexicalQuery query);

    /// <summary>
    /// Segments that contain <paramref name="word"/> (its first term after the index's analyzer; 0 when it has
    /// none) in any field. As in BM25's idf, deleted segments count until their files are merged away.
    /// </summary>
    long SegmentFrequency(string word);
}
