using Search.Indexing.Dense;
using Search.Indexing.Lexical;
using Search.Segmentation.Analysis;

namespace Search.Indexing.Pipeline;

/// <summary>Who brings a collection's indexes up to date in this process.</summary>
public enum IndexingMode
{
    /// <summary>The process owns the indexes it can and keeps them current in the background (the service).</summary>
    Background,

    /// <summary>The process owns the indexes it can and indexes only when asked (a command-line ingest, an evaluation).</summary>
    OnDemand,

    /// <summary>The process never writes an index: it serves the last commit of whichever process owns them (a command-line query).</summary>
    ReadOnly,
}

/// <summary>How collection indexes are built, kept and found.</summary>
public sealed record IndexingOptions
{
    /// <summary>The folder of persistent indexes, or null to keep them in memory.</summary>
    public string? Root { get; init; }

    /// <summary>Who indexes in this process.</summary>
    public IndexingMode Mode { get; init; } = IndexingMode.Background;

    /// <summary>Text analysis of the lexical index.</summary>
    public Analyzer Analyzer { get; init; } = Analyzer.English;

    /// <summary>BM25 constants and field weights.</summary>
    public Bm25Parameters Bm25 { get; init; } = new();

    /// <summary>
    /// The model a collection's dense vectors are made with, from the embedder the collection names (null: the
    /// default); a null result learns an embedder from the collection itself.
    /// </summary>
    public Func<string?, DenseEmbedder?> Embedders { get; init; } = _ => null;

    /// <summary>Store changes one indexing step reads at most (each document it touches is loaded with its segments).</summary>
    public int BatchChanges { get; init; } = 500;

    /// <summary>
    /// The longest a stage leaves applied work uncommitted; a caught-up stage commits within it. Zero commits after
    /// every step (tests, where each step boundary must be a checkpoint).
    /// </summary>
    public TimeSpan LexicalCommitInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The same for the dense stage, whose save rewrites every vector.</summary>
    public TimeSpan DenseCommitInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a background process looks for writes made by other processes, and retries owning a collection another process held.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Share of the learned collection that may change (segments embedded since learning) before the dense embedder is
    /// relearned; also the share of documents written since the statistics were published before they are published anew.
    /// </summary>
    public double RelearnAfter { get; init; } = 0.25;

    /// <summary>
    /// A folder whose journals keep every vector a model made, across generations and runs (evaluations that embed the
    /// same text again); null keeps one journal per generation, emptied each time its dense index is saved.
    /// </summary>
    public string? EmbeddingCache { get; init; }

    /// <summary>From this many segments on, dense vectors are searched through FAISS HNSW instead of exactly.</summary>
    public int ApproximateFrom { get; init; } = DenseCollectionIndex.DefaultApproximateFrom;
}
