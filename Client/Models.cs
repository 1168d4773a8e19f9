namespace Search.Client;

/// <summary>
/// A collection as the service shows it: documents and segments stored, the embedder, the latest change, and (when
/// one collection is asked for) its indexes: the serving generation and what each indexing stage has made searchable.
/// </summary>
public sealed record Collection(string Name, long Documents, DateTimeOffset CreatedAt, string Embedder, long LatestChange, long Segments = 0, CollectionIndex? Index = null);

/// <summary>A collection's indexes: the serving generation, whether the service maintains them itself, and its stages.</summary>
public sealed record CollectionIndex(int Generation, bool Owned, IReadOnlyList<IndexingStage> Stages);

/// <summary>One indexing stage: documents and segments searchable through it, the change it applied and made durable, changes pending, build progress, and why it fails.</summary>
public sealed record IndexingStage(string Name, long Documents, long Sequence, long Checkpoint, long PendingChanges, double Progress, string? Error, long Segments);

/// <summary>One generation of a collection's indexes (building, serving, retired) with its size and build progress.</summary>
public sealed record Generation(int Id, string State, long Segments, long SizeBytes, long Sequence, DateTimeOffset CreatedAt, double Progress);

/// <summary>A document to add or replace: its id (or null for a content-hash id), title, text and filterable metadata.</summary>
public sealed record DocumentInput(string? Id, string? Title, string Text, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>A stored document.</summary>
public sealed record Document(string Id, string Collection, string Title, string? Source, string MediaType, string Kind);

/// <summary>The answer to a write: created, updated or unchanged, the document, and the change sequence it made.</summary>
public sealed record WriteResult(string Outcome, Document Document, long Sequence);

/// <summary>A transcript chapter a hit lies in.</summary>
public sealed record Chapter(int Ordinal, string Title, double? StartSeconds, double? EndSeconds);

/// <summary>The stretch of a hit's text that answers the query: character offsets into the text, end exclusive.</summary>
public sealed record AnswerSpan(int Start, int End);

/// <summary>One hit: the passage, where it sits, its score components, and the part of it that answers.</summary>
public sealed record SearchHit(int Rank, string DocumentId, string Title, int Segment, string Text, string SectionPath, double? StartSeconds,
    double? EndSeconds, string? Speaker, double Score, IReadOnlyDictionary<string, double> Components, Chapter? Chapter, AnswerSpan? Answer = null);

/// <summary>What a search read: the generation, the store's latest change, and how far the lexical and dense stages had got.</summary>
public sealed record SearchIndex(int Generation, long LatestChange, long Lexical, long Dense);

/// <summary>A search's hits, the index it read, and what the caller should know about them.</summary>
public sealed record SearchResult(string Query, string Mode, IReadOnlyList<SearchHit> Hits, double TookMs, SearchIndex Index, IReadOnlyList<string> Warnings);

/// <summary>What to search for: the query, how many hits, the mode (bm25, dense, situated, hybrid, ranked), grouping and filters.</summary>
public sealed record SearchQuery(string Q, int K = 10, string? Mode = null, bool ByDocument = false, IReadOnlyDictionary<string, string>? Filters = null);

/// <summary>A bulk task's counts and state (queued, running, succeeded, failed, cancelled).</summary>
public sealed record BulkTask(string Id, string Collection, string State, int Total, int Done, int Failed, bool CancelRequested, string? Error, DateTimeOffset CreatedAt = default);

/// <summary>One failed item of a task: its position, its input (a path or a line) and why it failed.</summary>
public sealed record TaskItemError(int Item, string Input, string? Error);

/// <summary>
/// A task with its failed items and, while its collection exists, how many of its done items (and their segments)
/// each searchable stage has indexed.
/// </summary>
public sealed record TaskDetails(BulkTask Task, IReadOnlyList<TaskItemError> Errors, IReadOnlyDictionary<string, int>? Searchable,
    long? Segments = null, IReadOnlyDictionary<string, long>? SearchableSegments = null);

/// <summary>An API key; <see cref="Key"/> only in the answer that created it.</summary>
public sealed record ApiKey(string Uid, string Name, string? Description, IReadOnlyList<string> Actions, IReadOnlyList<string> Collections,
    DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt, string Prefix, string? Key);
