using Search.Segmentation;
using Search.Indexing.Storage;

namespace Search.Api.Web;

/// <summary>Body of POST /collections.</summary>
public sealed record CreateCollectionRequest(string? Name);

/// <summary>Body of POST /collections/{name}/search.</summary>
public sealed record SearchBody(string? Q, int? K, string? Mode, string? Group, Dictionary<string, string>? Filters);

/// <summary>Body of POST /collections/{name}/bulk with application/json: files, directories or globs on the server.</summary>
public sealed record BulkPathsRequest(List<string>? Paths);

/// <summary>A collection as the API shows it.</summary>
public sealed record CollectionView(string Name, long Documents, DateTimeOffset CreatedAt)
{
    /// <summary>From the store's record.</summary>
    public static CollectionView From(Collection c) => new(c.Name, c.DocumentCount, c.CreatedAt);
}

/// <summary>A document as the API shows it.</summary>
public sealed record DocumentView(string Id, string Collection, string Title, string? Source, string MediaType, string Kind,
    System.Text.Json.JsonElement Metadata, string ContentHash, int Version, int Segments, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>From the store's record.</summary>
    public static DocumentView From(StoredDocument d)
    {
        using var meta = System.Text.Json.JsonDocument.Parse(d.MetadataJson);
        return new(d.ExternalId, d.Collection, d.Title, d.Source, d.MediaType, d.Kind, meta.RootElement.Clone(), d.ContentHash, d.Version, d.SegmentCount, d.CreatedAt, d.UpdatedAt);
    }
}

/// <summary>A segment as the API shows it.</summary>
public sealed record SegmentView(int Ordinal, string Text, int StartChar, int EndChar, string SectionPath, double? StartSeconds, double? EndSeconds, string? Speaker, Chapter? Chapter);

/// <summary>A document with its segments.</summary>
public sealed record DocumentWithSegments(DocumentView Document, IReadOnlyList<SegmentView> Segments);

/// <summary>The result of a document write.</summary>
public sealed record WriteView(string Outcome, DocumentView Document);

/// <summary>A task with the items that failed.</summary>
public sealed record TaskView(IngestTask Task, IReadOnlyList<TaskItemError> Errors);

/// <summary>One failed item of a task.</summary>
public sealed record TaskItemError(int Item, string Input, string? Error);
