namespace Search.Indexing.Lexical;

/// <summary>
/// Keeps the best k hits (score descending, then document id, then ordinal). In document mode a
/// document counts once, with its best segment; a document's segments arrive consecutively.
/// </summary>
internal sealed class TopHits
{
    private static readonly Comparer<LexicalHit> WorstFirst = Comparer<LexicalHit>.Create((a, b) => Better(b, a));

    private readonly PriorityQueue<LexicalHit, LexicalHit> _heap = new(WorstFirst);
    private readonly int _k;
    private readonly bool _byDocument;
    private LexicalHit _pending;
    private bool _hasPending;

    public TopHits(int k, bool byDocument)
    {
        _k = k;
        _byDocument = byDocument;
    }

    /// <summary>Negative when a ranks before b.</summary>
    public static int Better(LexicalHit a, LexicalHit b)
    {
        int c = b.Score.CompareTo(a.Score);
        if (c != 0) return c;
        c = a.DocumentId.CompareTo(b.DocumentId);
        return c != 0 ? c : a.Ordinal.CompareTo(b.Ordinal);
    }

    /// <summary>The score a new hit must reach (ties can still enter by id); -∞ until k hits are held.</summary>
    public double Threshold => _heap.Count < _k ? double.NegativeInfinity : _heap.Peek().Score;

    public void Offer(LexicalHit hit)
    {
        if (!_byDocument)
        {
            Push(hit);
            return;
        }
        if (_hasPending && _pending.DocumentId == hit.DocumentId)
        {
            if (Better(hit, _pending) < 0) _pending = hit;
            return;
        }
        FlushPending();
        _pending = hit;
        _hasPending = true;
    }

    /// <summary>Ends a run of one document's segments (call at the end of every index segment).</summary>
    public void FlushPending()
    {
        if (!_hasPending) return;
        _hasPending = false;
        Push(_pending);
    }

    private void Push(LexicalHit hit)
    {
        if (_heap.Count < _k) _heap.Enqueue(hit, hit);
        else if (Better(hit, _heap.Peek()) < 0) _heap.EnqueueDequeue(hit, hit);
    }

    public List<LexicalHit> Drain()
    {
        FlushPending();
        var result = new List<LexicalHit>(_heap.Count);
        while (_heap.Count > 0) result.Add(_heap.Dequeue());
        result.Reverse();
        return result;
    }
}
