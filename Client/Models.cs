namespace Search.Client;

/// <summary>A collection as the service shows it (the fields a client acts on; the rest stay in the JSON).</summary>
public sealed record Collection(string Name, long Documents, DateTimeOffset CreatedAt, string Embedder, long LatestChange);

/// <summary>A document to add or replace: its id (or null for a content-hash id), title, text and filterable metadata.</summary>
public sealed record DocumentInput(string? Id, string? Title, string Text, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>A stored document.</summary>
public sealed record Document(string Id, string Collection, string Title, string? Source, string MediaType, string Kind);

/// <summary>The answer to a write: created, updated or unchanged, the document, and the change sequence it made.</summary>
public sealed record WriteResult(string Outcome, Document Document, long Sequence);

/// <summary>A transcript chapter a hit lies in.</summary>
public sealed record Chapter(int Ordinal, string Title, double? StartSeconds, double? EndSeconds);

/// <summary>One hit: the passage, where it sits, and its score components.</summary>
public sealed record SearchHit(int Rank, string DocumentId, string Title, int Segment, string Text, string SectionPath, double? StartSeconds,
    double? EndSeconds, string? Speaker, double Score, IReadOnlyDictionary<string, double> Components, Chapter? Chapter);

/// <summary>What a search read: the generation, the store's latest change, and how far the lexical and dense stages had got.</summary>
public sealed record SearchIndex(int Generation, long LatestChange, long Lexical, long Dense);

/// <summary>A search's hits, the index it read, and what the caller should know about them.</summary>
public sealed record SearchResult(string Query, string Mode, IReadOnlyList<SearchHit> Hits, double TookMs, SearchIndex Index, IReadOnlyList<string> Warnings);

/// <summary>What to search for: the query, how many hits, the mode (bm25, dense, situated, hybrid, ranked), grouping and filters.</summary>
public sealed record SearchQuery(string Q, int K = 10, string? Mode = null, bool ByDocument = false, IReadOnlyDictionary<string, string>? Filters = null);

/// <summary>A bulk task's counts and state (queued, running, succeeded, failed, cancelled).</summary>
public sealed record BulkTask(string Id, string Collection, string State, int Total, int Done, int Failed, bool CancelRequested, string? Error);

/// <summary>An API key; <see cref="Key"/> only in the answer that created it.</summary>
public sealed record ApiKey(string Uid, string Name, string? Description, IReadOnlyList<string> Actions, IReadOnlyList<string> Collections,
    DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt, string Prefix, string? Key);
