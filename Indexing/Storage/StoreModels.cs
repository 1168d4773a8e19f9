using Search.Segmentation;

namespace Search.Indexing.Storage;

/// <summary>A named set of documents searched together; <paramref name="Embedder"/> names what makes its dense vectors (null: the engine's default); <paramref name="SegmentCount"/> counts its documents' segments.</summary>
public sealed record Collection(long Id, string Name, DateTimeOffset CreatedAt, long DocumentCount, string? Embedder = null, long SegmentCount = 0);

/// <summary>A collection's id, name and embedder (null: the engine's default).</summary>
public sealed record CollectionKey(long Id, string Name, string? Embedder = null);

/// <summary>Names the collection whose change log a committed write added to.</summary>
public sealed class CollectionChangedEventArgs(string collection) : EventArgs
{
    /// <summary>The collection.</summary>
    public string Collection { get; } = collection;
}

/// <summary>A stored document's record (without its segments).</summary>
public sealed record StoredDocument(
    long Id,
    string Collection,
    string ExternalId,
    string Title,
    string? Source,
    string MediaType,
    string Kind,
    string MetadataJson,
    string ContentHash,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int SegmentCount);

/// <summary>A segment as stored: the document it belongs to and the segment itself.</summary>
public sealed record StoredSegment(long DocumentId, Segment Segment);

/// <summary>Everything needed to write one document and its segments.</summary>
/// <param name="ExplicitId">True when the caller named the document; only then is identical content under another id stored twice.</param>
public sealed record DocumentWrite(
    string ExternalId,
    bool ExplicitId,
    string Title,
    string? Source,
    string MediaType,
    DocumentKind Kind,
    string MetadataJson,
    string ContentHash,
    string StructureJson,
    IReadOnlyList<Segment> Segments);

/// <summary>What a write did.</summary>
public enum WriteOutcome
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>The result of an upsert: the document as stored, what changed, and the change sequence that made it so (the write's own, or the document's last when nothing changed).</summary>
public sealed record UpsertResult(StoredDocument Document, WriteOutcome Outcome, long Sequence);

/// <summary>A document's change, in commit order; indexes derived from the store replay these.</summary>
public sealed record ChangeRecord(long Sequence, long DocumentId, bool Deleted);

/// <summary>The lifecycle of a bulk ingestion task.</summary>
public enum TaskState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>The state of one item of a bulk task.</summary>
public enum TaskItemState
{
    Pending,
    Done,
    Failed,
}

/// <summary>What one bulk item names: a file path, or an inline JSON document.</summary>
public enum TaskItemKind
{
    Path,
    Json,
}

/// <summary>A collection's published statistics: how common its words are and its word classes, as ingestion segments with them.</summary>
/// <param name="Version">Increases with every publication.</param>
/// <param name="Through">The change sequence the statistics reflect.</param>
/// <param name="Documents">Documents the collection had then.</param>
/// <param name="Embedder">What the word classes came from (so a relearned embedder publishes anew).</param>
/// <param name="Payload">The serialised statistics.</param>
public sealed record StoredStatistics(int Version, long Through, long Documents, string Embedder, byte[] Payload, DateTimeOffset CreatedAt);

/// <summary>Names published statistics: a re-created collection has another id, so its versions never pass for the old one's.</summary>
public readonly record struct StatisticsVersion(long CollectionId, int Version);

/// <summary>Statistics to publish.</summary>
public sealed record StatisticsWrite(long Through, long Documents, string Embedder, byte[] Payload);

/// <summary>A bulk ingestion task and its counts; <paramref name="Collection"/> is kept after the collection is deleted.</summary>
public sealed record IngestTask(
    string Id,
    string Collection,
    TaskState State,
    int Total,
    int Done,
    int Failed,
    bool CancelRequested,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>One item of a bulk task.</summary>
public sealed record TaskItem(string TaskId, int Ordinal, TaskItemKind Kind, string Payload, TaskItemState State, string? Error, string? DocumentId);

/// <summary>A requested item when a task is created.</summary>
public sealed record TaskItemInput(TaskItemKind Kind, string Payload);

/// <summary>A task's done items written at or before a change sequence, and the segments of the documents they wrote (as those documents are now).</summary>
public readonly record struct TaskItemsThrough(int Items, long Segments);
