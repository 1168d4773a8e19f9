using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Search.Indexing.Lexical;
using Search.Indexing.Lexical.Codec;
using Search.Indexing.Storage;

namespace Search.Ranking;

/// <summary>
/// The derived indexes of every collection, kept in step with the store by replaying its change log
/// before each search, so documents written by any process (service, CLI, another node) are found.
/// A persistent index resumes from the change sequence of its last commit.
/// </summary>
public sealed class CollectionIndexes(IDocumentStore store, Func<long, ILexicalIndex> openLexicalIndex) : IDisposable
{
    private const int ChangePage = 5000;
    private const int LoadBatch = 500;
    private static readonly TimeSpan CommitInterval = TimeSpan.FromSeconds(2);

    /// <summary>What the search path needs to know of a document without a store round trip.</summary>
    public sealed record DocumentInfo(string ExternalId, string Title, JsonElement Metadata);

    /// <summary>One collection's indexes at a change sequence number.</summary>
    public sealed class CollectionIndex(long collectionId, ILexicalIndex lexical) : IDisposable
    {
        /// <summary>The store's id of the collection (a re-created collection gets a new one).</summary>
        public long CollectionId { get; } = collectionId;

        /// <summary>The BM25 index.</summary>
        public ILexicalIndex Lexical { get; } = lexical;

        /// <summary>Documents by internal id.</summary>
        public ConcurrentDictionary<long, DocumentInfo> Documents { get; } = new();

        /// <summary>The last change applied.</summary>
        public long AppliedSequence { get; set; } = lexical.CommittedSequence;

        internal bool DocumentsLoaded { get; set; } = lexical.CommittedSequence == 0;

        internal Stopwatch SinceCommit { get; } = Stopwatch.StartNew();

        internal SemaphoreSlim CatchUpLock { get; } = new(1, 1);

        /// <inheritdoc />
        public void Dispose()
        {
            Lexical.Dispose();
            CatchUpLock.Dispose();
        }
    }

    private readonly ConcurrentDictionary<string, CollectionIndex> _indexes = new(StringComparer.Ordinal);
    private readonly Lock _openLock = new();

    /// <summary>The collection's index, brought up to the store's latest committed change.</summary>
    public async Task<CollectionIndex> GetCurrentAsync(string collection, CancellationToken ct)
    {
        var info = await store.GetCollectionAsync(collection, ct) ?? throw new NotFoundException($"collection '{collection}' does not exist");
        var index = Resolve(collection, info.Id);
        long latest = await store.GetLastChangeAsync(collection, ct);
        if (latest <= index.AppliedSequence && index.DocumentsLoaded) return index;
        await index.CatchUpLock.WaitAsync(ct);
        try
        {
            if (!index.DocumentsLoaded) await LoadDocumentsAsync(collection, index, ct);
            bool applied = false;
            while (index.AppliedSequence < latest)
            {
                var changes = await store.GetChangesAsync(collection, index.AppliedSequence, ChangePage, ct);
                if (changes.Count == 0) break;
                await ApplyAsync(index, changes, ct);
                index.AppliedSequence = changes[^1].Sequence;
                applied = true;
            }
            if (applied && index.SinceCommit.Elapsed >= CommitInterval) Commit(index);
        }
        finally { index.CatchUpLock.Release(); }
        return index;
    }

    private CollectionIndex Resolve(string collection, long collectionId)
    {
        if (_indexes.TryGetValue(collection, out var existing) && existing.CollectionId == collectionId) return existing;
        lock (_openLock)
        {
            if (_indexes.TryGetValue(collection, out existing))
            {
                if (existing.CollectionId == collectionId) return existing;
                _indexes.TryRemove(collection, out _);
                existing.Dispose();
            }
            var created = new CollectionIndex(collectionId, openLexicalIndex(collectionId));
            _indexes[collection] = created;
            return created;
        }
    }

    private static void Commit(CollectionIndex index)
    {
        index.Lexical.Commit(index.AppliedSequence);
        index.SinceCommit.Restart();
    }

    /// <summary>Commits every index (on shutdown), so a restart replays only what came after.</summary>
    public void CommitAll()
    {
        foreach (var index in _indexes.Values)
        {
            if (!index.CatchUpLock.Wait(TimeSpan.FromSeconds(30))) continue;
            try { Commit(index); }
            finally { index.CatchUpLock.Release(); }
        }
    }

    /// <summary>Forgets a collection's indexes (after it is deleted).</summary>
    public void Drop(string collection)
    {
        if (_indexes.TryRemove(collection, out var index)) index.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var index in _indexes.Values) index.Dispose();
        _indexes.Clear();
    }

    private async Task LoadDocumentsAsync(string collection, CollectionIndex index, CancellationToken ct)
    {
        // A committed index knows its postings; what hits show of a document comes from the store.
        for (int offset = 0; ; offset += LoadBatch)
        {
            var page = await store.ListDocumentsAsync(collection, offset, LoadBatch, ct);
            foreach (var d in page) index.Documents[d.Id] = Info(d);
            if (page.Count < LoadBatch) break;
        }
        index.DocumentsLoaded = true;
    }

    private static DocumentInfo Info(StoredDocument d)
    {
        using var meta = JsonDocument.Parse(d.MetadataJson);
        return new DocumentInfo(d.ExternalId, d.Title, meta.RootElement.Clone());
    }

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
            var upserts = new List<IndexedDocument>(documents.Count);
            var present = new HashSet<long>();
            foreach (var d in documents)
            {
                present.Add(d.Id);
                var own = byDocument.GetValueOrDefault(d.Id) ?? [];
                upserts.Add(new IndexedDocument(d.Id, d.Title, own.Select(s => new IndexedSegment(s.Ordinal, s.SectionPath, s.Text)).ToList()));
                index.Documents[d.Id] = Info(d);
            }
            var removals = batch.Where(id => !present.Contains(id)).ToList();
            index.Lexical.Apply(upserts, removals);
            foreach (long id in removals) index.Documents.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Opens the persistent index of a collection under <paramref name="root"/>: when its files fail their
    /// checks it is deleted and rebuilt from the store; when another process owns it, this process
    /// keeps its own in-memory index instead.
    /// </summary>
    public static ILexicalIndex OpenPersistent(string root, long collectionId, Indexing.Analysis.Analyzer analyzer, Bm25Parameters parameters, Action<string>? warn)
    {
        string directory = Path.Combine(root, "c" + collectionId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            return LexicalIndex.Open(directory, analyzer, parameters);
        }
        catch (CorruptIndexException e)
        {
            warn?.Invoke($"index of collection {collectionId} is corrupt ({e.Message}); rebuilding it from the store");
            Directory.Delete(directory, recursive: true);
            return LexicalIndex.Open(directory, analyzer, parameters);
        }
        catch (IndexLockedException)
        {
            return LexicalIndex.InMemory(analyzer, parameters);
        }
    }
}
