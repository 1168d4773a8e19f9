using Search.Indexing.Storage;

namespace Search.Indexing.Pipeline;

/// <summary>A document as a batch carries it: the stored record and its segments in order.</summary>
public sealed record ChangedDocument(StoredDocument Document, IReadOnlyList<StoredSegment> Segments);

/// <summary>
/// What the store's change log says happened after <paramref name="After"/> up to <paramref name="Through"/>: the
/// current state of every document it touched (each once), and the ids of those that no longer exist.
/// </summary>
public sealed record ChangeBatch(long After, long Through, IReadOnlyList<ChangedDocument> Upserts, IReadOnlyList<long> Removals);

/// <summary>
/// The one reader of a collection's change log that every indexing stage consumes. A stage asks for what came after
/// its own position, so stages move at their own pace; the batch last read is kept, because the stages of a
/// collection usually ask for the same one a moment apart. A stage with nothing yet reads a snapshot instead: every
/// document, page by page, as of a change sequence taken before the first page.
/// </summary>
public sealed class ChangeFeed(IDocumentStore store, string collection, int batchChanges)
{
    private const int PageDocuments = 500;
    private ChangeBatch? _last;

    /// <summary>The collection.</summary>
    public string Collection => collection;

    /// <summary>The store the changes come from.</summary>
    public IDocumentStore Store => store;

    /// <summary>The collection's latest committed change (0 when it has none).</summary>
    public Task<long> LatestAsync(CancellationToken ct) => store.GetLastChangeAsync(collection, ct);

    /// <summary>The next batch after <paramref name="after"/>, or null when the log has nothing after it.</summary>
    public async Task<ChangeBatch?> NextAsync(long after, CancellationToken ct)
    {
        if (Volatile.Read(ref _last) is { } cached && cached.After == after) return cached;
        var changes = await store.GetChangesAsync(collection, after, batchChanges, ct);
        if (changes.Count == 0) return null;
        var touched = new HashSet<long>();
        foreach (var c in changes) touched.Add(c.DocumentId);
        var documents = await LoadAsync(await store.GetDocumentsAsync(touched, ct), ct);
        var removals = new List<long>();
        var present = new HashSet<long>();
        foreach (var d in documents) present.Add(d.Document.Id);
        foreach (long id in touched)
            if (!present.Contains(id)) removals.Add(id);
        var batch = new ChangeBatch(after, changes[^1].Sequence, documents, removals);
        Volatile.Write(ref _last, batch);
        return batch;
    }

    /// <summary>
    /// Every document of the collection with its segments, a page at a time (with the collection's document count), by
    /// id; returns the latest change before the first page was read, so replaying the log after it covers whatever the
    /// pages missed.
    /// </summary>
    public async Task<long> SnapshotAsync(Func<IReadOnlyList<ChangedDocument>, long, Task> page, CancellationToken ct)
    {
        long through = await LatestAsync(ct);
        long total = (await store.GetCollectionAsync(collection, ct))?.DocumentCount ?? 0, afterId = 0;
        while (true)
        {
            var documents = await store.GetDocumentsAfterAsync(collection, afterId, PageDocuments, ct);
            if (documents.Count == 0) return through;
            await page(await LoadAsync(documents, ct), total);
            afterId = documents[^1].Id;
        }
    }

    private async Task<List<ChangedDocument>> LoadAsync(IReadOnlyList<StoredDocument> documents, CancellationToken ct)
    {
        var result = new List<ChangedDocument>(documents.Count);
        if (documents.Count == 0) return result;
        var ids = new List<long>(documents.Count);
        foreach (var d in documents) ids.Add(d.Id);
        var byDocument = new Dictionary<long, List<StoredSegment>>(documents.Count);
        foreach (var s in await store.GetSegmentsAsync(ids, ct))
        {
            if (!byDocument.TryGetValue(s.DocumentId, out var list)) byDocument[s.DocumentId] = list = [];
            list.Add(s);
        }
        var ordered = new List<StoredDocument>(documents);
        ordered.Sort((a, b) => a.Id.CompareTo(b.Id));
        foreach (var d in ordered) result.Add(new ChangedDocument(d, byDocument.GetValueOrDefault(d.Id) ?? []));
        return result;
    }
}
