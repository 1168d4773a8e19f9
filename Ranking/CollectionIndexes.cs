using Search.Segmentation;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Search.Segmentation.Analysis;
using Search.Indexing.Lexical;
using Search.Indexing.Lexical.Codec;
using Search.Indexing.Storage;

namespace Search.Ranking;

/// <summary>How collection indexes are built and where they live.</summary>
/// <param name="Root">The folder of persistent indexes, or null to keep them in memory.</param>
/// <param name="DenseModel">The model dense vectors are made with; null learns an embedder from each collection.</param>
public sealed record IndexSettings(string? Root, Analyzer Analyzer, Bm25Parameters Bm25, Action<string>? Warn = null, Hybrid.DenseEmbedder? DenseModel = null);

/// <summary>
/// The derived indexes of every collection, kept in step with the store by replaying its change log
/// before each search, so documents written by any process (service, CLI, another node) are found.
/// A persistent index resumes from the change sequence of its last commit; a reindex builds the next
/// generation from the store while the current one serves, then swaps them atomically.
/// </summary>
public sealed class CollectionIndexes(IDocumentStore store, IndexSettings settings) : IDisposable
{
    private const int ChangePage = 5000;
    private const int LoadBatch = 500;
    private const int HistoryKept = 5;
    private const long RebuildBufferBytes = 256L << 20;
    private static readonly TimeSpan CommitInterval = TimeSpan.FromSeconds(2);

    /// <summary>What the search path needs to know of a document without a store round trip.</summary>
    public sealed record DocumentInfo(string ExternalId, string Title, JsonElement Metadata);

    /// <summary>One collection's indexes at a change sequence number.</summary>
    public sealed class CollectionIndex : IDisposable
    {
        private IndexGeneration _current;

        internal CollectionIndex(long collectionId, IndexGeneration current, CollectionIndexHome? home)
        {
            CollectionId = collectionId;
            _current = current;
            Home = home;
            AppliedSequence = current.Lexical.CommittedSequence;
            DocumentsLoaded = AppliedSequence == 0;
        }

        /// <summary>The store's id of the collection (a re-created collection gets a new one).</summary>
        public long CollectionId { get; }

        /// <summary>The serving generation.</summary>
        public IndexGeneration Current => Volatile.Read(ref _current);

        /// <summary>Documents by internal id.</summary>
        public ConcurrentDictionary<long, DocumentInfo> Documents { get; } = new();

        /// <summary>The last change applied to the serving generation.</summary>
        public long AppliedSequence { get; internal set; }

        internal CollectionIndexHome? Home { get; }
        internal bool DocumentsLoaded { get; set; }
        internal Stopwatch SinceCommit { get; } = Stopwatch.StartNew();
        internal SemaphoreSlim CatchUpLock { get; } = new(1, 1);
        internal IndexGeneration? Building { get; set; }
        internal Hybrid.DenseCollectionIndex? Dense { get; set; }
        internal SemaphoreSlim DenseLock { get; } = new(1, 1);
        /// <summary>A background relearning of the dense embedder, while one runs.</summary>
        internal Task? DenseRelearning { get; set; }
        internal List<GenerationInfo> History { get; } = [];

        internal IndexGeneration Swap(IndexGeneration next) => Interlocked.Exchange(ref _current, next);

        /// <summary>A reference to the serving generation that stays valid until released, even across a swap.</summary>
        public IndexGeneration Acquire()
        {
            while (true)
            {
                var g = Current;
                if (g.TryAcquire()) return g;
            }
        }

        /// <inheritdoc />
        public void Dispose()
        {
            Current.Release();
            Home?.Dispose();
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
            await CatchUpLockedAsync(collection, index, ct);
        }
        finally { index.CatchUpLock.Release(); }
        return index;
    }

    private async Task CatchUpLockedAsync(string collection, CollectionIndex index, CancellationToken ct)
    {
        if (!index.DocumentsLoaded) await LoadDocumentsAsync(collection, index, ct);
        long before = index.AppliedSequence;
        index.AppliedSequence = await ReplayAsync(collection, index, index.Current.Lexical, index.AppliedSequence, ct);
        index.Current.Sequence = index.AppliedSequence;
        if (index.AppliedSequence > before && index.SinceCommit.Elapsed >= CommitInterval) Commit(index);
    }

    /// <summary>Applies the store's changes after <paramref name="from"/> to <paramref name="target"/>; returns the last applied.</summary>
    private async Task<long> ReplayAsync(string collection, CollectionIndex index, ILexicalIndex target, long from, CancellationToken ct)
    {
        while (true)
        {
            var changes = await store.GetChangesAsync(collection, from, ChangePage, ct);
            if (changes.Count == 0) return from;
            var touched = new HashSet<long>();
            foreach (var c in changes) touched.Add(c.DocumentId);
            await ApplyAsync(index, target, touched, ct);
            from = changes[^1].Sequence;
        }
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
            var created = Open(collectionId);
            _indexes[collection] = created;
            return created;
        }
    }

    private CollectionIndex Open(long collectionId)
    {
        var home = settings.Root is null ? null
            : CollectionIndexHome.TryOpen(Path.Combine(settings.Root, "c" + collectionId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (home is null)
            return new CollectionIndex(collectionId, Serving(new IndexGeneration(1, LexicalIndex.InMemory(settings.Analyzer, settings.Bm25), null)), null);
        try
        {
            int current = home.ReadCurrent();
            if (current == 0)
            {
                current = 1;
                home.WriteCurrent(current);
            }
            home.DeleteAllBut(current);
            string dir = home.GenerationDirectory(current);
            ILexicalIndex lexical;
            try
            {
                lexical = LexicalIndex.Open(dir, settings.Analyzer, settings.Bm25);
            }
            catch (CorruptIndexException e)
            {
                settings.Warn?.Invoke($"index of collection {collectionId} is corrupt ({e.Message}); rebuilding it from the store");
                Directory.Delete(dir, recursive: true);
                lexical = LexicalIndex.Open(dir, settings.Analyzer, settings.Bm25);
            }
            return new CollectionIndex(collectionId, Serving(new IndexGeneration(current, lexical, dir) { Sequence = lexical.CommittedSequence }), home);
        }
        catch
        {
            home.Dispose();
            throw;
        }
    }

    private static IndexGeneration Serving(IndexGeneration g)
    {
        g.State = GenerationState.Serving;
        return g;
    }

    private static void Commit(CollectionIndex index)
    {
        var g = index.Current;
        g.Lexical.Commit(index.AppliedSequence);
        index.SinceCommit.Restart();
    }

    /// <summary>Commits every index, lexical and dense (on shutdown), so a restart replays only what came after.</summary>
    public void CommitAll()
    {
        foreach (var index in _indexes.Values)
        {
            if (!index.CatchUpLock.Wait(TimeSpan.FromSeconds(30))) continue;
            try
            {
                Commit(index);
                if (index.Dense is { } dense && dense.SavedSequence != dense.Sequence && index.DenseLock.Wait(TimeSpan.FromSeconds(30)))
                {
                    try { SaveDense(dense, index.Current.Directory); }
                    finally { index.DenseLock.Release(); }
                }
            }
            finally { index.CatchUpLock.Release(); }
        }
    }

    /// <summary>
    /// How common words are in the collection's serving lexical index, and the word classes of its dense
    /// embedder, when that index is open, else null: ingestion weighs chapter titles and topic changes
    /// against the collection without forcing its index to load.
    /// </summary>
    public ITermStatistics? LoadedTermStatistics(string collection) =>
        _indexes.TryGetValue(collection, out var index) ? new ServingTermStatistics(index) : null;

    /// <summary>Statistics read from whichever generation serves at the time of each call.</summary>
    private sealed class ServingTermStatistics(CollectionIndex index) : ITermStatistics
    {
        public int Segments => Read(g => g.Lexical.SegmentCount);

        public long SegmentFrequency(string word) => Read(g => g.Lexical.SegmentFrequency(word));

        public WordClasses? WordClasses => index.Dense?.Embedder.WordClasses;

        // A generation retired between reading Current and acquiring it (a reindex swap, a dropped collection)
        // answers nothing rather than spinning: a title weighed without one word's statistics is still a title.
        private T Read<T>(Func<IndexGeneration, T> read) where T : struct
        {
            var generation = index.Current;
            if (!generation.TryAcquire()) return default;
            try { return read(generation); }
            finally { generation.Release(); }
        }
    }

    /// <summary>Forgets a collection's indexes (after it is deleted) and removes their files.</summary>
    public void Drop(string collection)
    {
        if (!_indexes.TryRemove(collection, out var index)) return;
        string? dir = index.Home?.Directory;
        index.Current.State = GenerationState.Retired;
        index.Dispose();
        if (dir is not null)
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var index in _indexes.Values) index.Dispose();
        _indexes.Clear();
    }

    /// <summary>The collection's generations: recently retired ones, the serving one, and one being built.</summary>
    public async Task<IReadOnlyList<GenerationInfo>> GenerationsAsync(string collection, CancellationToken ct)
    {
        var index = await GetCurrentAsync(collection, ct);
        var list = new List<GenerationInfo>();
        lock (index.History) list.AddRange(index.History);
        var serving = index.Acquire();
        try { list.Add(serving.Info()); }
        finally { serving.Release(); }
        if (index.Building is { } b) list.Add(b.Info());
        return list;
    }

    /// <summary>
    /// Starts building the next generation from the store while the current one serves; returns the new
    /// generation as it starts and a task that completes when it serves. Writes made meanwhile are replayed
    /// from the store's change log, and the swap happens under the catch-up lock, so no query fails and no
    /// result is lost.
    /// </summary>
    public async Task<(GenerationInfo Started, Task<GenerationInfo> Completion)> StartReindexAsync(string collection, CancellationToken ct)
    {
        var index = await GetCurrentAsync(collection, ct);
        if (settings.Root is not null && index.Home is null)
            throw new ConflictException($"the indexes of '{collection}' are maintained by another process (a running service?); reindex through it: POST /admin/collections/{collection}/reindex");
        IndexGeneration building;
        lock (index.History)
        {
            if (index.Building is { } running) throw new ConflictException($"generation {running.Id} of '{collection}' is already being built");
            int next = Math.Max(index.Current.Id, index.History.Count == 0 ? 0 : index.History.Max(h => h.Id)) + 1;
            string? dir = index.Home?.GenerationDirectory(next);
            if (dir is not null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            ILexicalIndex lexical = dir is null ? LexicalIndex.InMemory(settings.Analyzer, settings.Bm25) : LexicalIndex.Open(dir, settings.Analyzer, settings.Bm25);
            building = new IndexGeneration(next, lexical, dir) { Progress = 0 };
            index.Building = building;
        }
        var started = building.Info();
        return (started, BuildAsync(collection, index, building, ct));
    }

    // Progress a reindex reports once its lexical index is loaded: learning the dense side is the other half
    // of the work, so the bar does not sit at 99 % while the embedder learns.
    private const double LexicalShareOfReindex = 0.5;

    private async Task<GenerationInfo> BuildAsync(string collection, CollectionIndex index, IndexGeneration building, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            long start = await store.GetLastChangeAsync(collection, ct);
            long total = Math.Max(1, (await store.GetCollectionAsync(collection, ct))?.DocumentCount ?? 1);
            long done = 0, afterId = 0;
            using (var load = building.Lexical.StartBulkLoad(RebuildBufferBytes))
            {
                while (true)
                {
                    var page = await store.GetDocumentsAfterAsync(collection, afterId, LoadBatch, ct);
                    if (page.Count == 0) break;
                    foreach (var d in await IndexedDocumentsAsync(index, page, ct)) load.Add(d);
                    afterId = page[^1].Id;
                    done += page.Count;
                    building.Progress = LexicalShareOfReindex * Math.Min(1, (double)done / total);
                }
            }
            // The dense side is relearned with the lexical one: a reindex is when the embedder catches up with the collection.
            var dense = await LearnDenseAsync(collection, ct);
            await CatchUpDenseAsync(collection, dense, ct);
            building.Progress = 0.99;
            // Writes made during the build: replay them outside the lock first, then the rest with the swap.
            long applied = await ReplayAsync(collection, index, building.Lexical, start, ct);
            await index.CatchUpLock.WaitAsync(ct);
            bool denseLocked = false;
            try
            {
                await index.DenseLock.WaitAsync(ct);
                denseLocked = true;
                await CatchUpLockedAsync(collection, index, ct);
                applied = await ReplayAsync(collection, index, building.Lexical, applied, ct);
                await CatchUpDenseAsync(collection, dense, ct);
                building.Lexical.Commit(index.AppliedSequence);
                building.Sequence = index.AppliedSequence;
                SaveDense(dense, building.Directory);
                index.Home?.WriteCurrent(building.Id);
                building.State = GenerationState.Serving;
                building.Progress = 1;
                var old = index.Swap(building);
                index.Dense = dense; // the old dense index is left to the collector: a search may still be reading it
                old.State = GenerationState.Retired;
                lock (index.History)
                {
                    index.Building = null;
                    index.History.Add(old.Info());
                    if (index.History.Count > HistoryKept) index.History.RemoveAt(0);
                }
                old.Release(); // closes and deletes once in-flight searches let go of it
                index.SinceCommit.Restart();
            }
            finally
            {
                if (denseLocked) index.DenseLock.Release();
                index.CatchUpLock.Release();
            }
            return building.Info();
        }
        catch
        {
            lock (index.History) index.Building = null;
            building.State = GenerationState.Retired;
            building.Release();
            throw;
        }
    }

    /// <summary>
    /// Share of the learned collection that may be embedded by the learned model (added or changed segments)
    /// before the embedder is relearned in the background: new vocabulary only gets sub-word vectors until then.
    /// </summary>
    public const double DenseRelearnAfter = 0.25;

    /// <summary>
    /// The collection's dense index, up to date with the serving generation: learned from the store on first
    /// use (or read from the generation's directory), then kept current by embedding only the documents that
    /// changed since, with the learned model. When the changes reach <see cref="DenseRelearnAfter"/> of what
    /// it learned from, a new embedder is learned in the background and swapped in when it has caught up.
    /// </summary>
    public async Task<Hybrid.DenseCollectionIndex> GetDenseAsync(string collection, CollectionIndex index, CancellationToken ct)
    {
        var dense = index.Dense;
        if (dense is not null && dense.Sequence >= index.AppliedSequence) return dense;
        await index.DenseLock.WaitAsync(ct);
        try
        {
            dense = index.Dense;
            if (dense is null)
            {
                string? directory = index.Current.Directory;
                if (directory is not null)
                {
                    try { dense = Hybrid.DenseCollectionIndex.TryLoad(directory, index.AppliedSequence, model: settings.DenseModel); }
                    catch (InvalidDataException) { } // a damaged file is relearned from the store, as a damaged lexical segment is rebuilt
                }
                if (dense is null)
                {
                    dense = await LearnDenseAsync(collection, ct);
                    SaveDense(dense, directory);
                }
                index.Dense = dense;
            }
            await CatchUpDenseAsync(collection, dense, ct);
            if (dense.Embedder.IsLearned && dense.SegmentsEmbeddedSinceLearning > DenseRelearnAfter * Math.Max(1, dense.LearnedSegments) && index.DenseRelearning is null)
                index.DenseRelearning = RelearnDenseAsync(collection, index);
            return dense;
        }
        finally { index.DenseLock.Release(); }
    }

    /// <summary>What the dense side of a collection is now, without learning it (it is learned on the first dense or hybrid query, or by a reindex).</summary>
    public async Task<DenseStatus> DenseStatusAsync(string collection, CancellationToken ct)
    {
        var index = await GetCurrentAsync(collection, ct);
        bool relearning = index.DenseRelearning is not null;
        return index.Dense is not { } d
            ? new DenseStatus(false, 0, 0, 0, DenseRelearnAfter, relearning, null, 0, 0, false, 0, null, 0)
            : new DenseStatus(true, d.Count, d.LearnedSegments, d.SegmentsEmbeddedSinceLearning, DenseRelearnAfter, relearning, d.VectorIndexSpec,
                d.Embedder.Dimension, d.Sequence, d.LoadedFromDisk, Math.Round(d.TrainingTime.TotalSeconds, 3), d.Embedder.Name, d.Embedder.WordClasses?.Count ?? 0);
    }

    /// <summary>Learns a dense index from the store's current segments; its sequence is the last change before the read, so catching up replays whatever the read may have missed.</summary>
    private async Task<Hybrid.DenseCollectionIndex> LearnDenseAsync(string collection, CancellationToken ct)
    {
        long sequence = await store.GetLastChangeAsync(collection, ct);
        var segments = new List<Hybrid.DenseSegment>();
        long afterId = 0;
        while (true)
        {
            var page = await store.GetDocumentsAfterAsync(collection, afterId, LoadBatch, ct);
            if (page.Count == 0) break;
            segments.AddRange(await DenseSegmentsAsync(page, ct));
            afterId = page[^1].Id;
        }
        return await Task.Run(() => Hybrid.DenseCollectionIndex.Build(segments, sequence, new Indexing.Embeddings.CorpusEmbedderOptions(), model: settings.DenseModel), ct);
    }

    /// <summary>Embeds the documents changed since the index's sequence with its learned model.</summary>
    private async Task CatchUpDenseAsync(string collection, Hybrid.DenseCollectionIndex dense, CancellationToken ct)
    {
        while (true)
        {
            var changes = await store.GetChangesAsync(collection, dense.Sequence, ChangePage, ct);
            if (changes.Count == 0) return;
            var touched = new HashSet<long>();
            foreach (var c in changes) touched.Add(c.DocumentId);
            var segments = new List<Hybrid.DenseSegment>();
            foreach (var batch in touched.Chunk(LoadBatch))
                segments.AddRange(await DenseSegmentsAsync(await store.GetDocumentsAsync(batch, ct), ct));
            dense.Update(touched, segments, changes[^1].Sequence);
        }
    }

    /// <summary>The documents' segments as the dense side takes them, grouped by document in order.</summary>
    private async Task<List<Hybrid.DenseSegment>> DenseSegmentsAsync(IReadOnlyList<StoredDocument> documents, CancellationToken ct)
    {
        var result = new List<Hybrid.DenseSegment>();
        if (documents.Count == 0) return result;
        var titles = documents.ToDictionary(d => d.Id, d => d.Title);
        var stored = (await store.GetSegmentsAsync(titles.Keys, ct)).OrderBy(s => s.DocumentId).ThenBy(s => s.Ordinal);
        foreach (var s in stored)
            if (titles.TryGetValue(s.DocumentId, out var title)) result.Add(new Hybrid.DenseSegment(s.DocumentId, s.Ordinal, title, SectionField(s), s.Text));
        return result;
    }

    /// <summary>Relearns the embedder off the query path, catches the new index up and swaps it in.</summary>
    private async Task RelearnDenseAsync(string collection, CollectionIndex index)
    {
        await Task.Yield();
        try
        {
            var fresh = await LearnDenseAsync(collection, CancellationToken.None);
            await CatchUpDenseAsync(collection, fresh, CancellationToken.None);
            await index.DenseLock.WaitAsync();
            try
            {
                await CatchUpDenseAsync(collection, fresh, CancellationToken.None);
                // The previous index is left to the collector: a search may still be reading it.
                index.Dense = fresh;
                SaveDense(fresh, index.Current.Directory);
            }
            finally { index.DenseLock.Release(); }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            settings.Warn?.Invoke($"relearning the dense index of '{collection}' failed ({e.Message}); the current one keeps serving");
        }
        finally { index.DenseRelearning = null; }
    }

    /// <summary>Saves the dense index with the generation it serves, so a restart replays only later changes; a failed save only costs that replay or a relearning.</summary>
    private static void SaveDense(Hybrid.DenseCollectionIndex dense, string? directory)
    {
        if (directory is null || !Directory.Exists(directory)) return;
        try { dense.Save(directory, DiskFileSystem.Instance); }
        catch (IOException) { }
    }

    private async Task LoadDocumentsAsync(string collection, CollectionIndex index, CancellationToken ct)
    {
        // A committed index knows its postings; what hits show of a document comes from the store.
        long afterId = 0;
        while (true)
        {
            var page = await store.GetDocumentsAfterAsync(collection, afterId, LoadBatch, ct);
            if (page.Count == 0) break;
            foreach (var d in page) index.Documents[d.Id] = Info(d);
            afterId = page[^1].Id;
        }
        index.DocumentsLoaded = true;
    }

    private static DocumentInfo Info(StoredDocument d)
    {
        using var meta = JsonDocument.Parse(d.MetadataJson);
        return new DocumentInfo(d.ExternalId, d.Title, meta.RootElement.Clone());
    }

    /// <summary>Brings the given documents of <paramref name="target"/> to their current state in the store.</summary>
    private async Task ApplyAsync(CollectionIndex index, ILexicalIndex target, HashSet<long> touched, CancellationToken ct)
    {
        foreach (var batch in touched.Chunk(LoadBatch))
        {
            var documents = await store.GetDocumentsAsync(batch, ct);
            var upserts = await IndexedDocumentsAsync(index, documents, ct);
            var present = documents.Select(d => d.Id).ToHashSet();
            var removals = batch.Where(id => !present.Contains(id)).ToList();
            target.Apply(upserts, removals);
            foreach (long id in removals) index.Documents.TryRemove(id, out _);
        }
    }

    /// <summary>The documents with their segments, as the lexical index takes them; records what hits show of each.</summary>
    private async Task<List<IndexedDocument>> IndexedDocumentsAsync(CollectionIndex index, IReadOnlyList<StoredDocument> documents, CancellationToken ct)
    {
        var segments = await store.GetSegmentsAsync(documents.Select(d => d.Id).ToList(), ct);
        var byDocument = segments.GroupBy(s => s.DocumentId).ToDictionary(g => g.Key, g => g.ToList());
        var result = new List<IndexedDocument>(documents.Count);
        foreach (var d in documents)
        {
            var own = byDocument.GetValueOrDefault(d.Id) ?? [];
            result.Add(new IndexedDocument(d.Id, d.Title, own.Select(s => new IndexedSegment(s.Ordinal, SectionField(s), s.Text)).ToList()));
            index.Documents[d.Id] = Info(d);
        }
        return result;
    }

    // The section field holds where a segment sits: its section path and, in a transcript, its chapter title.
    private static string SectionField(StoredSegment s) =>
        s.Chapter is null ? s.SectionPath : s.SectionPath.Length == 0 ? s.Chapter.Title : s.SectionPath + StructuralSegmenter.PathSeparator + s.Chapter.Title;
}
