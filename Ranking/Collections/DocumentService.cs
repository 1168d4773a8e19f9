using Search.Indexing.Extraction;
using Search.Indexing.Ingestion;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;

namespace Search.Ranking.Collections;

/// <summary>A document with its segments in order.</summary>
public sealed record DocumentWithSegments(StoredDocument Document, IReadOnlyList<StoredSegment> Segments);

/// <summary>
/// Single documents as users write and read them: a write goes through ingestion into the store and, when asked,
/// returns only once the indexing pipeline has made it searchable (<c>?wait=indexed</c>).
/// </summary>
public sealed class DocumentService(IDocumentStore store, IngestionPipeline ingestion, CollectionIndexes indexes)
{
    /// <summary>Stores a document given as JSON (an id, or its content hash, names it).</summary>
    public async Task<IngestOutcome> WriteAsync(string collection, JsonDocumentInput input, bool waitIndexed, CancellationToken ct)
    {
        var outcome = await ingestion.IngestJsonAsync(collection, input, explicitId: input.Id is not null, ct);
        if (waitIndexed) await indexes.WaitIndexedAsync(collection, outcome.Sequence, ct);
        return outcome;
    }

    /// <summary>Stores an uploaded file, its format chosen by its name's extension.</summary>
    public async Task<IngestOutcome> UploadAsync(string collection, string fileName, ReadOnlyMemory<byte> content, IngestionPipeline.UploadFields fields, bool waitIndexed,
        CancellationToken ct)
    {
        var outcome = await ingestion.IngestBytesAsync(collection, fileName, content, fields, ct);
        if (waitIndexed) await indexes.WaitIndexedAsync(collection, outcome.Sequence, ct);
        return outcome;
    }

    /// <summary>A page of the collection's documents, by when they were first stored.</summary>
    public Task<IReadOnlyList<StoredDocument>> ListAsync(string collection, int offset, int limit, CancellationToken ct)
    {
        if (offset < 0 || limit is < 1 or > 1000) throw new ArgumentException("offset must be >= 0 and limit between 1 and 1000");
        return store.ListDocumentsAsync(collection, offset, limit, ct);
    }

    /// <summary>A document with its segments; <see cref="NotFoundException"/> naming what is missing.</summary>
    public async Task<DocumentWithSegments> GetAsync(string collection, string id, CancellationToken ct)
    {
        var document = await store.GetDocumentAsync(collection, id, ct) ?? throw await MissingAsync(collection, id, ct);
        return new DocumentWithSegments(document, await store.GetSegmentsAsync([document.Id], ct));
    }

    /// <summary>Deletes a document; <see cref="NotFoundException"/> naming what is missing.</summary>
    public async Task DeleteAsync(string collection, string id, bool waitIndexed, CancellationToken ct)
    {
        long sequence = await store.DeleteDocumentAsync(collection, id, ct) ?? throw await MissingAsync(collection, id, ct);
        if (waitIndexed) await indexes.WaitIndexedAsync(collection, sequence, ct);
    }

    private async Task<NotFoundException> MissingAsync(string collection, string id, CancellationToken ct) =>
        await store.GetCollectionIdAsync(collection, ct) is null
            ? new NotFoundException($"collection '{collection}' does not exist")
            : new NotFoundException($"document '{id}' is not in collection '{collection}'");
}
