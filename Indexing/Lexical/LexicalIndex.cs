using System.Text;
using Search.Segmentation.Analysis;
using Search.Core.IO;
using Search.Indexing.Lexical.Codec;

namespace Search.Indexing.Lexical;

/// <summary>Another process holds the index directory's write lock.</summary>
public sealed class IndexLockedException(string message) : Exception(message);

/// <summary>Tuning of the lexical engine's write path.</summary>
/// <param name="MaxSegments">Above this many segments the smallest are merged.</param>
/// <param name="MergeFactor">How many of the smallest segments one merge combines.</param>
public sealed record LexicalIndexOptions(int MaxSegments = 10, int MergeFactor = 8);

/// <summary>
/// The product's BM25 engine: immutable segments (bit-packed postings with per-block maxima) searched
/// through snapshots with exact MaxScore pruning. Writes are applied in batches as a new segment plus
/// tombstones and published atomically, so searches never wait for writers. With a directory, commits
/// persist it crash-safely (segment files, deletes files, a manifest renamed into place) together
/// with the store change sequence it reflects; without one it lives in memory only.
/// </summary>
public sealed class LexicalIndex : ILexicalIndex
{
    private sealed class WriterSegment(SharedSegment shared, string name)
    {
        public SharedSegment Shared = shared;
        public readonly string Name = name;
        public ulong[]? Deleted;
        public int DeletedCount;
        public int DeleteGeneration;
        public bool DeletesDirty;
        public bool DeletesPublished;
        public int LiveCount => Shared.Reader.DocumentCount - DeletedCount;
    }

    private readonly record struct Location(WriterSegment Segment, int First, int Count);

    private readonly string? _directory;
    private readonly Analyzer _analyzer;
    private readonly Bm25Searcher _searcher;
    private readonly IDurableFileSystem _fs;
    private readonly LexicalIndexOptions _options;
    private readonly Lock _writeLock = new();
    private readonly List<WriterSegment> _segments = [];
    private readonly Dictionary<long, Location> _locations = [];
    private IndexSnapshot _current = new([]);
    private FileStream? _writeLockFile;
    private Task _merging = Task.CompletedTask;
    private Exception? _mergeFailure;

    /// <summary>The file whose exclusive lock marks the one process allowed to write an index directory.</summary>
    public const string LockFileName = "write.lock";
    private int _nextSegment;
    private bool _disposed;
    private bool _readOnly;

    /// <summary>The store change sequence the last commit reflects (0 for a new index).</summary>
    public long CommittedSequence { get; private set; }

    /// <summary>Where the index lives on disk, or null when in memory only.</summary>
    public string? Directory => _directory;

    private LexicalIndex(string? directory, Analyzer analyzer, Bm25Parameters parameters, IDurableFileSystem fs, LexicalIndexOptions options)
    {
        parameters.Validate();
        _directory = directory;
        _analyzer = analyzer;
        _searcher = new Bm25Searcher(parameters);
        _fs = fs;
        _options = options;
    }

    /// <summary>An index that lives in memory only.</summary>
    public static LexicalIndex InMemory(Analyzer analyzer, Bm25Parameters parameters, LexicalIndexOptions? options = null) =>
        new(null, analyzer, parameters, DiskFileSystem.Instance, options ?? new LexicalIndexOptions());

    /// <summary>
    /// Opens the index committed in <paramref name="directory"/> (an empty one if there is none), verifying
    /// every file; throws <see cref="CorruptIndexException"/> when anything fails its checks.
    /// </summary>
    public static LexicalIndex Open(string directory, Analyzer analyzer, Bm25Parameters parameters, IDurableFileSystem? fs = null, LexicalIndexOptions? options = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var index = new LexicalIndex(directory, analyzer, parameters, fs ?? DiskFileSystem.Instance, options ?? new LexicalIndexOptions());
        try
        {
            try
            {
                index._writeLockFile = new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e)
            {
                throw new IndexLockedException($"{directory} is in use by another process ({e.Message})");
            }
            index.Load();
        }
        catch
        {
            index.Dispose();
            throw;
        }
        return index;
    }

    /// <summary>
    /// Opens the last commit of an index another process writes, for searching only: no lock is taken, no file is
    /// deleted, and every write throws. Throws <see cref="FileNotFoundException"/> when the writer replaced the commit
    /// (and removed a file of it) while it was being read: opening again reads the newer one.
    /// </summary>
    public static LexicalIndex OpenReadOnly(string directory, Analyzer analyzer, Bm25Parameters parameters)
    {
        var index = new LexicalIndex(directory, analyzer, parameters, DiskFileSystem.Instance, new LexicalIndexOptions()) { _readOnly = true };
        try
        {
            index.Load();
        }
        catch
        {
            index.Dispose();
            throw;
        }
        return index;
    }

    private void Load()
    {
        string manifestPath = Path.Combine(_directory!, IndexManifest.FileName);
        var referenced = new HashSet<string>(StringComparer.Ordinal) { IndexManifest.FileName, LockFileName };
        if (File.Exists(manifestPath))
        {
            var manifest = IndexManifest.Read(manifestPath);
            foreach (var m in manifest.Segments)
            {
                string file = m.Name + ".sgi";
                var reader = SegmentReader.Open(Path.Combine(_directory!, file));
                var ws = new WriterSegment(new SharedSegment(reader, persisted: true), m.Name) { DeleteGeneration = m.DeleteGeneration };
                _segments.Add(ws); // owned from here on, so a failure below still releases it
                if (reader.Checksum != m.Checksum || reader.DocumentCount != m.Documents)
                    throw new CorruptIndexException($"{file}: does not match the manifest");
                referenced.Add(file);
                if (m.DeleteGeneration > 0)
                {
                    string del = DeletesFile.Name(m.Name, m.DeleteGeneration);
                    (ws.Deleted, ws.DeletedCount) = DeletesFile.Read(Path.Combine(_directory!, del), reader.DocumentCount);
                    if (ws.DeletedCount != m.Deleted) throw new CorruptIndexException($"{del}: does not match the manifest");
                    referenced.Add(del);
                }
            }
            CommittedSequence = manifest.Sequence;
            _nextSegment = manifest.NextSegment;
        }
        foreach (var ws in _segments) IndexLocations(ws);
        // Files no commit refers to are leftovers of an interrupted commit or a finished merge (the writer's to remove).
        if (!_readOnly)
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(_directory!))
                if (!referenced.Contains(Path.GetFileName(file))) _fs.Delete(file);
        }
        Publish();
    }

    private void IndexLocations(WriterSegment ws)
    {
        var reader = ws.Shared.Reader;
        int doc = 0, n = reader.DocumentCount;
        while (doc < n)
        {
            long id = reader.DocumentId(doc);
            int first = doc;
            while (doc < n && reader.DocumentId(doc) == id) doc++;
            if (ws.Deleted is not null && (ws.Deleted[first >> 6] & (1UL << first)) != 0) continue;
            _locations[id] = new Location(ws, first, doc - first);
        }
    }

    /// <inheritdoc />
    public int SegmentCount
    {
        get
        {
            var snapshot = AcquireSnapshot();
            try { return (int)snapshot.LiveCount; }
            finally { snapshot.Release(); }
        }
    }

    /// <summary>Number of index segments (files or in-memory) in the current snapshot.</summary>
    public int IndexSegmentCount => Volatile.Read(ref _current).Segments.Count;

    /// <summary>Bytes of all segments in the current snapshot.</summary>
    public long SizeBytes
    {
        get
        {
            long total = 0;
            foreach (var s in Volatile.Read(ref _current).Segments) total += s.Segment.Reader.SizeBytes;
            return total;
        }
    }

    /// <summary>The current snapshot, with a reference the caller must release.</summary>
    public IndexSnapshot AcquireSnapshot()
    {
        while (true)
        {
            var s = Volatile.Read(ref _current);
            if (s.TryAcquire()) return s;
        }
    }

    /// <inheritdoc />
    public void Upsert(IndexedDocument document) => Apply([document], []);

    /// <inheritdoc />
    public void Remove(long documentId) => Apply([], [documentId]);

    /// <summary>Applies a batch — removals, then upserts (each replacing the document's old segments) — and publishes it at once.</summary>
    public void Apply(IReadOnlyList<IndexedDocument> upserts, IReadOnlyCollection<long> removals)
    {
        // Analysis and encoding run before the lock: only tombstoning and the publish hold writers back.
        var builder = new SegmentBuilder();
        var replaced = new List<long>(upserts.Count + removals.Count);
        replaced.AddRange(removals);
        foreach (var d in upserts)
        {
            AddToBuilder(builder, d);
            replaced.Add(d.DocumentId);
        }
        AddSegment(builder, replaced);
    }

    /// <summary>
    /// Loads many documents with a memory budget (the counterpart of Lucene's indexing buffer): documents are
    /// inverted into one builder and a segment is cut whenever the builder holds about <paramref name="bufferBytes"/>.
    /// </summary>
    public ILexicalBulkLoad StartBulkLoad(long bufferBytes) => new BulkLoad(this, bufferBytes);

    /// <summary>A bulk load in progress; <see cref="Flush"/> (or dispose) publishes what is buffered.</summary>
    private sealed class BulkLoad(LexicalIndex index, long bufferBytes) : ILexicalBulkLoad
    {
        private SegmentBuilder _builder = new();
        private readonly List<long> _replaced = [];

        /// <summary>Adds (or replaces) a document.</summary>
        public void Add(IndexedDocument document)
        {
            index.AddToBuilder(_builder, document);
            _replaced.Add(document.DocumentId);
            if (_builder.EstimatedBytes >= bufferBytes) Flush();
        }

        /// <summary>Cuts a segment from what is buffered and publishes it.</summary>
        public void Flush()
        {
            if (_replaced.Count == 0) return;
            index.AddSegment(_builder, _replaced);
            _builder = new SegmentBuilder();
            _replaced.Clear();
        }

        /// <inheritdoc />
        public void Dispose() => Flush();
    }

    /// <summary>Tombstones the replaced documents' old segments, adds the built segment, and publishes both at once.</summary>
    private void AddSegment(SegmentBuilder builder, List<long> replaced)
    {
        byte[]? bytes = builder.DocumentCount > 0 ? builder.ToArray() : null;
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_readOnly) throw new InvalidOperationException("the index is open read-only");
            if (_mergeFailure is { } failure) throw new InvalidOperationException("a background merge failed", failure);
            foreach (long id in replaced) Tombstone(id);
            if (bytes is not null)
            {
                string name = $"seg-{_nextSegment++:D6}";
                var ws = new WriterSegment(new SharedSegment(SegmentReader.FromArray(name, bytes), persisted: false), name);
                _segments.Add(ws);
                IndexLocations(ws);
            }
            MaybeMerge();
            Publish();
        }
    }

    private void AddToBuilder(SegmentBuilder builder, IndexedDocument d)
    {
        var title = _analyzer.Analyze(d.Title);
        TermSink section = t => builder.AddTerm(1, t), body = t => builder.AddTerm(2, t);
        foreach (var s in d.Segments)
        {
            builder.BeginDocument(d.DocumentId, s.Ordinal);
            foreach (var t in title) builder.AddTerm(0, t);
            _analyzer.Analyze(s.SectionPath, section);
            _analyzer.Analyze(s.Body, body);
            builder.EndDocument();
        }
    }

    private void Tombstone(long documentId)
    {
        if (!_locations.Remove(documentId, out var loc)) return;
        var ws = loc.Segment;
        if (ws.Deleted is null) ws.Deleted = new ulong[(ws.Shared.Reader.DocumentCount + 63) / 64];
        else if (ws.DeletesPublished) ws.Deleted = (ulong[])ws.Deleted.Clone(); // published snapshots keep their copy
        ws.DeletesPublished = false;
        for (int d = loc.First; d < loc.First + loc.Count; d++) ws.Deleted[d >> 6] |= 1UL << d;
        ws.DeletedCount += loc.Count;
        ws.DeletesDirty = true;
        if (ws.LiveCount == 0)
        {
            _segments.Remove(ws);
            ws.Shared.Release();
        }
    }

    private void Publish()
    {
        var segments = new List<SnapshotSegment>(_segments.Count);
        foreach (var ws in _segments)
        {
            segments.Add(new SnapshotSegment(ws.Shared, ws.Deleted, ws.DeletedCount, ws.DeleteGeneration));
            ws.DeletesPublished = true;
        }
        var old = Interlocked.Exchange(ref _current, new IndexSnapshot(segments));
        old.Release();
    }

    private sealed record MergePlan(List<WriterSegment> Inputs, List<SharedSegment> Readers, List<ulong[]?> Deletes);

    /// <summary>Starts a background merge of the smallest segments when there are too many (one merge at a time).</summary>
    private void MaybeMerge()
    {
        if (!_merging.IsCompleted || _segments.Count <= _options.MaxSegments) return;
        var candidates = new List<WriterSegment>(_segments);
        candidates.Sort((a, b) => a.LiveCount.CompareTo(b.LiveCount));
        var plan = PrepareMergeLocked(candidates.GetRange(0, Math.Min(_options.MergeFactor, candidates.Count)));
        _merging = Task.Run(() => RunMerge(plan));
    }

    /// <summary>Pins the inputs and remembers their deletes, so documents deleted while the merge runs can be carried over.</summary>
    private static MergePlan PrepareMergeLocked(List<WriterSegment> inputs)
    {
        var readers = new List<SharedSegment>(inputs.Count);
        var deletes = new List<ulong[]?>(inputs.Count);
        foreach (var ws in inputs)
        {
            ws.Shared.Acquire();
            readers.Add(ws.Shared);
            deletes.Add(ws.Deleted is null ? null : (ulong[])ws.Deleted.Clone());
        }
        return new MergePlan(inputs, readers, deletes);
    }

    private void RunMerge(MergePlan plan)
    {
        try
        {
            var (builder, maps) = BuildMerged(plan);
            byte[] bytes = builder.ToArray();
            lock (_writeLock)
            {
                if (_disposed) return;
                CompleteMergeLocked(plan, bytes, maps);
                Publish();
                _merging = Task.CompletedTask; // this merge is done: let the next one start
                MaybeMerge(); // the merged segment may complete the next tier
            }
        }
        catch (Exception e)
        {
            lock (_writeLock) _mergeFailure = e;
        }
        finally
        {
            foreach (var r in plan.Readers) r.Release();
        }
    }

    /// <summary>Waits for a running background merge; rethrows its failure.</summary>
    public void WaitForMerges()
    {
        while (true)
        {
            Task running;
            lock (_writeLock)
            {
                if (_mergeFailure is { } failure) throw new InvalidOperationException("a background merge failed", failure);
                running = _merging;
            }
            if (running.IsCompleted) return;
            running.Wait();
        }
    }

    /// <summary>Merges every segment into one, dropping deleted documents (for tests and benchmarks).</summary>
    public void ForceMerge()
    {
        WaitForMerges();
        lock (_writeLock)
        {
            if (_segments.Count > 1 || (_segments.Count == 1 && _segments[0].DeletedCount > 0))
            {
                var plan = PrepareMergeLocked([.. _segments]);
                try
                {
                    var (builder, maps) = BuildMerged(plan);
                    CompleteMergeLocked(plan, builder.ToArray(), maps);
                }
                finally
                {
                    foreach (var r in plan.Readers) r.Release();
                }
            }
            Publish();
        }
    }

    /// <summary>Combines segments: live documents are renumbered in order and postings are copied list by list.</summary>
    private static (SegmentBuilder Builder, int[][] Maps) BuildMerged(MergePlan plan)
    {
        var builder = new SegmentBuilder();
        var maps = new int[plan.Inputs.Count][];
        Span<int> lengths = stackalloc int[SegmentFormat.FieldCount];
        for (int i = 0; i < plan.Readers.Count; i++)
        {
            var r = plan.Readers[i].Reader;
            var deleted = plan.Deletes[i];
            var map = maps[i] = new int[r.DocumentCount];
            for (int d = 0; d < r.DocumentCount; d++)
            {
                if (deleted is not null && (deleted[d >> 6] & (1UL << d)) != 0)
                {
                    map[d] = -1;
                    continue;
                }
                for (int f = 0; f < lengths.Length; f++) lengths[f] = r.Length(f, d);
                map[d] = builder.AddDocumentRecord(r.DocumentId(d), r.Ordinal(d), lengths);
            }
        }
        var cursor = new PostingCursor();
        char[] chars = new char[256];
        for (int i = 0; i < plan.Readers.Count; i++)
        {
            var r = plan.Readers[i].Reader;
            var map = maps[i];
            for (int t = 0; t < r.TermCount; t++)
            {
                var bytes = r.TermBytes(t);
                if (chars.Length < bytes.Length) chars = new char[bytes.Length * 2];
                int termId = builder.InternTerm(chars.AsSpan(0, Encoding.UTF8.GetChars(bytes, chars)));
                for (int f = 0; f < SegmentFormat.FieldCount; f++)
                {
                    if (!r.OpenPostings(t, f, cursor)) continue;
                    for (int d = cursor.Next(); d != PostingCursor.NoMoreDocs; d = cursor.Next())
                        if (map[d] >= 0) builder.AddPosting(termId, f, map[d], cursor.Frequency);
                }
            }
        }
        return (builder, maps);
    }

    /// <summary>Swaps the merged segment in for its inputs, carrying over deletes made while it was built.</summary>
    private void CompleteMergeLocked(MergePlan plan, byte[] bytes, int[][] maps)
    {
        var merged = new WriterSegment(new SharedSegment(SegmentReader.FromArray($"seg-{_nextSegment:D6}", bytes), persisted: false), $"seg-{_nextSegment:D6}");
        _nextSegment++;
        for (int i = 0; i < plan.Inputs.Count; i++)
        {
            var now = plan.Inputs[i].Deleted;
            var then = plan.Deletes[i];
            if (now is null) continue;
            for (int d = 0; d < maps[i].Length; d++)
            {
                bool deletedNow = (now[d >> 6] & (1UL << d)) != 0;
                bool deletedThen = then is not null && (then[d >> 6] & (1UL << d)) != 0;
                if (!deletedNow || deletedThen || maps[i][d] < 0) continue;
                int n = maps[i][d];
                merged.Deleted ??= new ulong[(merged.Shared.Reader.DocumentCount + 63) / 64];
                merged.Deleted[n >> 6] |= 1UL << n;
                merged.DeletedCount++;
                merged.DeletesDirty = true;
            }
        }
        int position = _segments.Count;
        foreach (var ws in plan.Inputs)
        {
            int at = _segments.IndexOf(ws);
            if (at < 0) continue; // emptied by deletes meanwhile, and already released
            position = Math.Min(position, at);
            _segments.RemoveAt(at);
            ws.Shared.Release();
        }
        if (merged.LiveCount > 0)
        {
            _segments.Insert(Math.Min(position, _segments.Count), merged);
            IndexLocations(merged);
        }
        else
        {
            merged.Shared.Release();
        }
    }

    /// <summary>
    /// Makes the current state durable as reflecting store changes up to <paramref name="sequence"/>:
    /// new segment files and deletes files are written and fsynced, then the manifest is renamed into
    /// place and the directory fsynced. A failure at any step leaves the previous commit intact.
    /// </summary>
    public void Commit(long sequence)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_readOnly) throw new InvalidOperationException("the index is open read-only");
            if (_directory is null)
            {
                CommittedSequence = sequence;
                return;
            }
            var entries = new List<ManifestSegment>(_segments.Count);
            bool replaced = false;
            foreach (var ws in _segments)
            {
                if (!ws.Shared.Persisted)
                {
                    string path = Path.Combine(_directory, ws.Name + ".sgi");
                    var inMemory = ws.Shared;
                    _fs.WriteDurably(path, s => inMemory.Reader.CopyTo(s));
                    ws.Shared = new SharedSegment(SegmentReader.Open(path), persisted: true);
                    inMemory.Release();
                    replaced = true;
                }
                int generation = ws.DeleteGeneration;
                if (ws.DeletesDirty)
                {
                    generation++;
                    var bits = ws.Deleted!;
                    int count = ws.DeletedCount;
                    _fs.WriteDurably(Path.Combine(_directory, DeletesFile.Name(ws.Name, generation)), s => DeletesFile.Write(s, bits, count));
                }
                entries.Add(new ManifestSegment(ws.Name, ws.Shared.Reader.DocumentCount, ws.Shared.Reader.Checksum, generation, ws.DeletedCount));
            }
            var manifest = new IndexManifest(sequence, _nextSegment, entries);
            manifest.Write(_fs, Path.Combine(_directory, IndexManifest.FileName));
            // Committed: only now do the in-memory generations move on and unreferenced files go.
            for (int i = 0; i < _segments.Count; i++)
            {
                _segments[i].DeleteGeneration = entries[i].DeleteGeneration;
                _segments[i].DeletesDirty = false;
            }
            CommittedSequence = sequence;
            var referenced = new HashSet<string>(StringComparer.Ordinal) { IndexManifest.FileName, LockFileName };
            foreach (var e in entries)
            {
                referenced.Add(e.Name + ".sgi");
                if (e.DeleteGeneration > 0) referenced.Add(DeletesFile.Name(e.Name, e.DeleteGeneration));
            }
            foreach (var file in System.IO.Directory.EnumerateFiles(_directory))
                if (!referenced.Contains(Path.GetFileName(file))) _fs.Delete(file);
            if (replaced) Publish();
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<LexicalHit> Search(LexicalQuery query)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.K);
        var terms = QueryTerms.From(_analyzer.Analyze(query.Text));
        var snapshot = AcquireSnapshot();
        try
        {
            return _searcher.Search(snapshot, terms, query);
        }
        finally
        {
            snapshot.Release();
        }
    }

    /// <inheritdoc />
    public long SegmentFrequency(string word)
    {
        var terms = _analyzer.Analyze(word);
        if (terms.Count == 0) return 0;
        var snapshot = AcquireSnapshot();
        try
        {
            return snapshot.DocumentFrequency(System.Text.Encoding.UTF8.GetBytes(terms[0]));
        }
        finally
        {
            snapshot.Release();
        }
    }

    /// <summary>
    /// The live segment count and the terms in at least <paramref name="minimumFrequency"/> segments with their
    /// segment frequencies (counted as <see cref="SegmentFrequency"/> counts them), most frequent first, at most
    /// <paramref name="maxTerms"/>: a summary of the collection's vocabulary that other processes can weigh words with.
    /// </summary>
    public (long Segments, List<(string Term, long Frequency)> Terms) TermStatistics(int maxTerms, int minimumFrequency)
    {
        var snapshot = AcquireSnapshot();
        try
        {
            var frequencies = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var s in snapshot.Segments)
            {
                var reader = s.Segment.Reader;
                for (int rank = 0; rank < reader.TermCount; rank++)
                {
                    string term = reader.Term(rank);
                    frequencies[term] = frequencies.GetValueOrDefault(term) + reader.DocumentFrequency(rank);
                }
            }
            var terms = new List<(string Term, long Frequency)>();
            foreach (var (term, frequency) in frequencies)
                if (frequency >= minimumFrequency) terms.Add((term, frequency));
            terms.Sort((a, b) => b.Frequency != a.Frequency ? b.Frequency.CompareTo(a.Frequency) : string.CompareOrdinal(a.Term, b.Term));
            if (terms.Count > maxTerms) terms.RemoveRange(maxTerms, terms.Count - maxTerms);
            return (snapshot.LiveCount, terms);
        }
        finally
        {
            snapshot.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Task running;
        lock (_writeLock) running = _merging;
        try { running.Wait(); } catch (AggregateException) { } // a failed merge changes nothing on disk
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            var old = Interlocked.Exchange(ref _current, new IndexSnapshot([]));
            old.Release();
            foreach (var ws in _segments) ws.Shared.Release();
            _segments.Clear();
            _locations.Clear();
            _writeLockFile?.Dispose();
        }
    }
}
