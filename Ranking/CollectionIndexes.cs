using System.Collections.Concurrent;
using System.Text.Json;
using Search.Indexing.Lexical;
using Search.Indexing.Storage;

namespace Search.Ranking;

/// <summary>
/// The derived indexes of every collection, kept in step with the store by replaying its change log
/// before each search, so documents written by any process (service, CLI, another node) are found.
/// </summary>
public sealed class CollectionIndexes(IDocumentStore store, Func<ILexicalIndex> createLexicalIndex)
{
    private const int ChangePage = 5000;
    private const int LoadBatch = 500;

    /// <summary>What the search path needs to know of a document without a store round trip.</summary>
    public sealed record DocumentInfo(string ExternalId, string Title, JsonElement Metadata);

    /// <summary>One collection's indexes at a change sequence number.</summary>
    public sealed class CollectionIndex(long collectionId, ILexicalIndex lexical)
    {
        /// <summary>The store's id of the collection (a re-created collection gets a new one).</summary>
        public long CollectionId { get; } = collectionId;

        /// <summary>The BM25 index.</summary>
        public ILexicalIndex Lexical { get; } = lexical;

        /// <summary>Documents by internal id.</summary>
        public ConcurrentDictionary<long, DocumentInfo> Documents { get; } = new();

        /// <summary>The last change applied.</summary>
        public long AppliedSequence { get; set; }

        internal SemaphoreSlim CatchUpLock { get; } = new(1, 1);
    }

    private readonly ConcurrentDictionary<string, CollectionIndex> _indexes = new(StringComparer.Ordinal);

    /// <summary>The collection's index, brought up to the store's latest committed change.</summary>
    public async Task<CollectionIndex> GetCurrentAsync(string collection, CancellationToken ct)
    {
        var info = await store.GetCollectionAsync(collection, ct) ?? throw new NotFoundException($"collection '{collection}' does not exist");
        var index = _indexes.AddOrUpdate(collection,
            _ => new CollectionIndex(info.Id, createLexicalIndex()),
            (_, existing) => existing.CollectionId == info.Id ? existing : new CollectionIndex(info.Id, createLexicalIndex()));
        long latest = await store.GetLastChangeAsync(collection, ct);
        if (latest <= index.AppliedSequence) return index;
        await index.CatchUpLock.WaitAsync(ct);
        try
        {
            while (index.AppliedSequence < latest)
            {
                var changes = await store.GetChangesAsync(collection, index.AppliedSequence, ChangePage, ct);
                if (changes.Count == 0) break;
                await ApplyAsync(index, changes, ct);
                index.AppliedSequence = changes[^1].Sequence;
            }
        }
        finally { index.CatchUpLock.Release(); }
        return index;
    }

    /// <summary>Forgets a collection's indexes (after it is deleted).</summary>
    public void Drop(string collection) => _indexes.TryRemove(collection, out _);

    private async Task ApplyAsync(CollectionIndex index, IReadOnlyList<ChangeRecord> changes, CancellationToken ct)
    {
        // Only the last change of each document matters; the store holds its current state.
        var touched = new HashSet<long>();
        foreach (var c in changes) touched.Add(c.DocumentId);
        foreach (var batch in touched.Chunk(LoadBatch))
        {
            var documents = await store.GetDocumentsAsync(batch, ct);
            var segments = await store.GetSegmentsAsync(documents.Select(d => d.Id).ToList(), ct);
            var byDocument = segments.GroupBy(s => s.DocumentId).ToDictionary(g => g.Key, g => g.ToList());
            var present = new HashSet<long>();
            foreach (var d in documents)
            {
                present.Add(d.Id);
                var own = byDocument.GetValueOrDefault(d.Id) ?? [];
                index.Lexical.Upsert(new IndexedDocument(d.Id, d.Title, own.Select(s => new IndexedSegment(s.Ordinal, s.SectionPath, s.Text)).ToList()));
                using var meta = JsonDocument.Parse(d.MetadataJson);
                index.Documents[d.Id] = new DocumentInfo(d.ExternalId, d.Title, meta.RootElement.Clone());
            }
            foreach (long id in batch)
            {
                if (present.Contains(id)) continue;
                index.Lexical.Remove(id);
                index.Documents.TryRemove(id, out _);
            }
        }
    }
}
