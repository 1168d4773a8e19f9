using Search.Segmentation;

namespace Search.Indexing.Storage;

/// <summary>A named set of documents searched together.</summary>
public sealed record Collection(long Id, string Name, DateTimeOffset CreatedAt, long DocumentCount);

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

/// <summary>A stored segment: the retrieval unit, with the transcript chapter it lies in.</summary>
public sealed record StoredSegment(
    long DocumentId,
    int Ordinal,
    string Text,
    int StartChar,
    int EndChar,
    string SectionPath,
    double? StartSeconds,
    double? EndSeconds,
    string? Speaker,
    Chapter? Chapter = null);

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
    IReadOnlyList<SegmentDraft> Segments);

/// <summary>What a write did.</summary>
public enum WriteOutcome
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>The result of an upsert: the document as stored and what changed.</summary>
public sealed record UpsertResult(StoredDocument Document, WriteOutcome Outcome);

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

/// <summary>A bulk ingestion task and its counts.</summary>
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
