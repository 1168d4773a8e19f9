using System.Buffers;
using Search.Indexing.Analysis;

namespace Search.Indexing.Lexical;

/// <summary>
/// A simple, exact BM25 index held in memory and rebuilt from the store on start. Segments are scored
/// term-at-a-time into a dense accumulator; removed segments are tombstoned and skipped, and the
/// postings are compacted once tombstones outnumber live segments.
/// </summary>
public sealed class InMemoryBm25Index : ILexicalIndex
{
    private const int FieldCount = 3; // title, section, body

    private sealed class Posting
    {
        public readonly List<int> Segments = [];
        public readonly List<int> Frequencies = [];
    }

    private sealed class SegmentEntry(long documentId, int ordinal, int[] lengths, string[] terms)
    {
        public readonly long DocumentId = documentId;
        public readonly int Ordinal = ordinal;
        public readonly int[] Lengths = lengths;
        public readonly string[] DistinctTerms = terms;
        public bool Alive = true;
    }

    private readonly Analyzer _analyzer;
    private readonly Bm25Parameters _parameters;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, Posting>[] _postings = [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    private readonly Dictionary<string, int> _documentFrequency = new(StringComparer.Ordinal);
    private readonly Dictionary<long, List<int>> _segmentsOfDocument = [];
    private readonly List<SegmentEntry> _segments = [];
    private readonly long[] _totalLength = new long[FieldCount];
    private int _alive;

    /// <summary>Creates an empty index.</summary>
    public InMemoryBm25Index(Analyzer analyzer, Bm25Parameters parameters)
    {
        parameters.Validate();
        _analyzer = analyzer;
        _parameters = parameters;
    }

    /// <inheritdoc />
    public int SegmentCount
    {
        get
        {
            _lock.EnterReadLock();
            try { return _alive; }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <inheritdoc />
    public void Upsert(IndexedDocument document)
    {
        // Analysis happens outside the lock so readers are held up only by the postings update.
        var analyzed = new List<(IndexedSegment Segment, List<string>[] Fields)>(document.Segments.Count);
        var titleTerms = _analyzer.Analyze(document.Title);
        foreach (var s in document.Segments)
            analyzed.Add((s, [titleTerms, _analyzer.Analyze(s.SectionPath), _analyzer.Analyze(s.Body)]));

        _lock.EnterWriteLock();
        try
        {
            RemoveLocked(document.DocumentId);
            var ids = new List<int>(analyzed.Count);
            foreach (var (segment, fields) in analyzed)
            {
                int id = _segments.Count;
                var lengths = new int[FieldCount];
                var distinct = new HashSet<string>(StringComparer.Ordinal);
                for (int f = 0; f < FieldCount; f++)
                {
                    lengths[f] = fields[f].Count;
                    _totalLength[f] += fields[f].Count;
                    var counts = new Dictionary<string, int>(StringComparer.Ordinal);
                    foreach (var t in fields[f]) counts[t] = counts.GetValueOrDefault(t) + 1;
                    foreach (var (term, tf) in counts)
                    {
                        if (!_postings[f].TryGetValue(term, out var p)) _postings[f][term] = p = new Posting();
                        p.Segments.Add(id);
                        p.Frequencies.Add(tf);
                        distinct.Add(term);
                    }
                }
                foreach (var t in distinct) _documentFrequency[t] = _documentFrequency.GetValueOrDefault(t) + 1;
                _segments.Add(new SegmentEntry(document.DocumentId, segment.Ordinal, lengths, [.. distinct]));
                ids.Add(id);
                _alive++;
            }
            _segmentsOfDocument[document.DocumentId] = ids;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <inheritdoc />
    public void Remove(long documentId)
    {
        _lock.EnterWriteLock();
        try { RemoveLocked(documentId); }
        finally { _lock.ExitWriteLock(); }
    }

    private void RemoveLocked(long documentId)
    {
        if (!_segmentsOfDocument.Remove(documentId, out var ids)) return;
        foreach (int id in ids)
        {
            var entry = _segments[id];
            entry.Alive = false;
            _alive--;
            for (int f = 0; f < FieldCount; f++) _totalLength[f] -= entry.Lengths[f];
            foreach (var t in entry.DistinctTerms)
            {
                int df = _documentFrequency[t] - 1;
                if (df == 0) _documentFrequency.Remove(t);
                else _documentFrequency[t] = df;
            }
        }
        if (_segments.Count - _alive > Math.Max(1024, _alive)) CompactLocked();
    }

    /// <summary>Drops tombstoned segments and renumbers the live ones.</summary>
    private void CompactLocked()
    {
        var newId = new int[_segments.Count];
        var live = new List<SegmentEntry>(_alive);
        for (int i = 0; i < _segments.Count; i++)
        {
            newId[i] = _segments[i].Alive ? live.Count : -1;
            if (_segments[i].Alive) live.Add(_segments[i]);
        }
        for (int f = 0; f < FieldCount; f++)
        {
            var empty = new List<string>();
            foreach (var (term, p) in _postings[f])
            {
                int w = 0;
                for (int r = 0; r < p.Segments.Count; r++)
                {
                    int n = newId[p.Segments[r]];
                    if (n < 0) continue;
                    p.Segments[w] = n;
                    p.Frequencies[w] = p.Frequencies[r];
                    w++;
                }
                p.Segments.RemoveRange(w, p.Segments.Count - w);
                p.Frequencies.RemoveRange(w, p.Frequencies.Count - w);
                if (w == 0) empty.Add(term);
            }
            foreach (var t in empty) _postings[f].Remove(t);
        }
        _segments.Clear();
        _segments.AddRange(live);
        foreach (var ids in _segmentsOfDocument.Values)
            for (int i = 0; i < ids.Count; i++) ids[i] = newId[ids[i]];
    }

    /// <inheritdoc />
    public IReadOnlyList<LexicalHit> Search(LexicalQuery query)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.K);
        var queryTerms = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in _analyzer.Analyze(query.Text)) queryTerms[t] = queryTerms.GetValueOrDefault(t) + 1;
        if (queryTerms.Count == 0) return [];

        _lock.EnterReadLock();
        try
        {
            if (_alive == 0) return [];
            int n = _segments.Count;
            var acc = ArrayPool<double>.Shared.Rent(n * FieldCount);
            var touched = new List<int>();
            var seen = ArrayPool<bool>.Shared.Rent(n);
            try
            {
                Array.Clear(seen, 0, n);
                Accumulate(queryTerms, acc, seen, touched);
                return query.GroupByDocument ? TopDocuments(query, acc, touched) : TopSegments(query, acc, touched);
            }
            finally
            {
                ArrayPool<double>.Shared.Return(acc);
                ArrayPool<bool>.Shared.Return(seen);
            }
        }
        finally { _lock.ExitReadLock(); }
    }

    private void Accumulate(Dictionary<string, int> queryTerms, double[] acc, bool[] seen, List<int> touched)
    {
        double[] weights = [_parameters.TitleWeight, _parameters.SectionWeight, _parameters.BodyWeight];
        var averages = new double[FieldCount];
        for (int f = 0; f < FieldCount; f++) averages[f] = (double)_totalLength[f] / _alive;
        foreach (var (term, qtf) in queryTerms)
        {
            if (!_documentFrequency.TryGetValue(term, out int df)) continue;
            double idf = Bm25Parameters.Idf(_alive, df) * qtf;
            for (int f = 0; f < FieldCount; f++)
            {
                if (weights[f] == 0 || !_postings[f].TryGetValue(term, out var p)) continue;
                for (int i = 0; i < p.Segments.Count; i++)
                {
                    int s = p.Segments[i];
                    var entry = _segments[s];
                    if (!entry.Alive) continue;
                    if (!seen[s])
                    {
                        seen[s] = true;
                        touched.Add(s);
                        acc[s * FieldCount] = acc[s * FieldCount + 1] = acc[s * FieldCount + 2] = 0;
                    }
                    acc[s * FieldCount + f] += weights[f] * idf * _parameters.Saturate(p.Frequencies[i], entry.Lengths[f], averages[f]);
                }
            }
        }
    }

    private LexicalHit MakeHit(int s, double[] acc)
    {
        var e = _segments[s];
        var c = new FieldScores(acc[s * FieldCount], acc[s * FieldCount + 1], acc[s * FieldCount + 2]);
        return new LexicalHit(e.DocumentId, e.Ordinal, c.Title + c.Section + c.Body, c);
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    private static readonly Comparer<LexicalHit> BestFirst = Comparer<LexicalHit>.Create((a, b) =>
    {
        int c = b.Score.CompareTo(a.Score);
        if (c != 0) return c;
        c = a.DocumentId.CompareTo(b.DocumentId);
        return c != 0 ? c : a.Ordinal.CompareTo(b.Ordinal);
    });

    private List<LexicalHit> TopSegments(LexicalQuery query, double[] acc, List<int> touched)
    {
        // A min-heap of the best k: the root is the worst hit kept so far.
        var heap = new PriorityQueue<LexicalHit, LexicalHit>(Comparer<LexicalHit>.Create((a, b) => BestFirst.Compare(b, a)));
        foreach (int s in touched)
        {
            var hit = MakeHit(s, acc);
            if (query.DocumentFilter is { } filter && !filter(hit.DocumentId)) continue;
            Offer(heap, hit, query.K);
        }
        return Drain(heap);
    }

    private List<LexicalHit> TopDocuments(LexicalQuery query, double[] acc, List<int> touched)
    {
        var best = new Dictionary<long, LexicalHit>();
        foreach (int s in touched)
        {
            var hit = MakeHit(s, acc);
            if (best.TryGetValue(hit.DocumentId, out var current) && BestFirst.Compare(current, hit) <= 0) continue;
            if (query.DocumentFilter is { } filter && !filter(hit.DocumentId)) continue;
            best[hit.DocumentId] = hit;
        }
        var heap = new PriorityQueue<LexicalHit, LexicalHit>(Comparer<LexicalHit>.Create((a, b) => BestFirst.Compare(b, a)));
        foreach (var hit in best.Values) Offer(heap, hit, query.K);
        return Drain(heap);
    }

    private static void Offer(PriorityQueue<LexicalHit, LexicalHit> heap, LexicalHit hit, int k)
    {
        if (heap.Count < k) heap.Enqueue(hit, hit);
        else if (BestFirst.Compare(hit, heap.Peek()) < 0) heap.EnqueueDequeue(hit, hit);
    }

    private static List<LexicalHit> Drain(PriorityQueue<LexicalHit, LexicalHit> heap)
    {
        var result = new List<LexicalHit>(heap.Count);
        while (heap.Count > 0) result.Add(heap.Dequeue());
        result.Reverse();
        return result;
    }
}
