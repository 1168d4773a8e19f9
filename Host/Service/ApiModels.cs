using Search.Indexing.Storage;
using Search.Ranking;
using Search.Ranking.Reranking;
using Search.Ranking.Reranking.InContext;
using Search.Ranking.Collections;
using Search.Segmentation;

namespace Search.Service;

/// <summary>Body of POST /collections: a name and, optionally, the embedder of its dense vectors (else the service's default).</summary>
public sealed record CreateCollectionRequest(string? Name, string? Embedder);

/// <summary>Body of PATCH /collections/{name}: the embedder to rebuild its dense vectors with (null: the service's default).</summary>
public sealed record UpdateCollectionRequest(string? Embedder);

/// <summary>Body of POST /collections/{name}/search.</summary>
public sealed record SearchBody(string? Q, int? K, string? Mode, string? Group, Dictionary<string, string>? Filters);

/// <summary>Body of POST /collections/{name}/bulk with application/json: files, directories or globs on the server.</summary>
public sealed record BulkPathsRequest(List<string>? Paths);

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
public sealed record SegmentView(int Ordinal, string Text, int StartChar, int EndChar, string SectionPath, double? StartSeconds, double? EndSeconds, string? Speaker, Chapter? Chapter)
{
    /// <summary>From the stored segment.</summary>
    public static SegmentView From(Segment s) => new(s.Ordinal, s.Text, s.StartChar, s.EndChar, s.SectionPath, s.StartSeconds, s.EndSeconds, s.Speaker, s.Chapter);
}

/// <summary>A document with its segments.</summary>
public sealed record DocumentWithSegmentsView(DocumentView Document, IReadOnlyList<SegmentView> Segments)
{
    /// <summary>From the document service's answer.</summary>
    public static DocumentWithSegmentsView From(DocumentWithSegments d)
    {
        var segments = new List<SegmentView>(d.Segments.Count);
        foreach (var s in d.Segments) segments.Add(SegmentView.From(s.Segment));
        return new(DocumentView.From(d.Document), segments);
    }
}

/// <summary>The result of a document write; <paramref name="Sequence"/> is the change to wait for before it is searchable.</summary>
public sealed record WriteView(string Outcome, DocumentView Document, long Sequence);

/// <summary>The answer of <c>GET /health</c>.</summary>
public sealed record HealthView(string Status, string Store, int SchemaVersion);

/// <summary>
/// The ranker of ranked searches (<c>GET /admin/ranker</c>): its name, how many hybrid candidates it re-scores and its
/// time limit; <paramref name="Name"/> is null when none is configured and ranked searches answer in hybrid order.
/// </summary>
/// <param name="PassageKv">The passage-KV store of an in-context ranker: entries, bytes and budgets per tier, hits, misses, evictions; null for rankers without one.</param>
/// <param name="Attention">Where an in-context ranker's attention runs ("cpu", "cuda"), chosen at start by <c>--device</c>.</param>
/// <param name="Layers">Where its dense layers (norms and matrix products) run: beside the attention on a GPU, else "cpu".</param>
/// <param name="Fallbacks">Ranked searches answered in hybrid order since the start because the ranker failed or ran out of time.</param>
/// <param name="TrainedOn">The collections a learned ranker was trained on; null for other rankers.</param>
public sealed record RankerView(string? Name, int Depth, double TimeoutSeconds, PassageKvStats? PassageKv, string? Attention, string? Layers, long Fallbacks,
    IReadOnlyList<string>? TrainedOn)
{
    /// <summary>From the search service's configuration.</summary>
    public static RankerView From(SearchService search) => new(search.Ranker?.Name, search.Ranker?.Depth ?? 0, search.RankerTimeout.TotalSeconds,
        (search.Ranker as InContextRanker)?.Store.Stats(), (search.Ranker as InContextRanker)?.Attention, (search.Ranker as InContextRanker)?.Layers,
        search.RankerFallbacks, (search.Ranker as LinearRanker)?.Model.TrainedOn);
}
