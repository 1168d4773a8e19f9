namespace Search.Indexing.Vectors;

/// <summary>
/// A bounded min-heap of (score, id) keeping the k best: higher score wins, ties go to the smaller id so
/// results are deterministic. Works over caller-supplied (pooled) buffers.
/// </summary>
internal ref struct TopK
{
    private readonly Span<float> _scores;
    private readonly Span<long> _ids;
    private int _count;

    public TopK(Span<float> scores, Span<long> ids)
    {
        _scores = scores;
        _ids = ids;
        _count = 0;
    }

    public readonly int Count => _count;

    /// <summary>The score a candidate must beat once the heap is full.</summary>
    public readonly float Threshold => _count == _scores.Length ? _scores[0] : float.NegativeInfinity;

    public void Push(float score, long id)
    {
        if (_count < _scores.Length)
        {
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!Worse(score, id, _scores[parent], _ids[parent])) break;
                _scores[i] = _scores[parent];
                _ids[i] = _ids[parent];
                i = parent;
            }
            _scores[i] = score;
            _ids[i] = id;
            return;
        }
        if (_scores.Length == 0 || !Worse(_scores[0], _ids[0], score, id)) return;
        SiftDown(score, id, _count);
    }

    /// <summary>Empties the heap into best-first order; returns the count.</summary>
    public int DrainSorted(Span<long> ids, Span<float> scores)
    {
        int n = _count;
        for (int end = n - 1; end >= 0; end--)
        {
            ids[end] = _ids[0];
            scores[end] = _scores[0];
            float lastScore = _scores[end];
            long lastId = _ids[end];
            _count = end;
            if (end > 0) SiftDown(lastScore, lastId, end);
        }
        return n;
    }

    private readonly void SiftDown(float score, long id, int size)
    {
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && Worse(_scores[child + 1], _ids[child + 1], _scores[child], _ids[child])) child++;
            if (!Worse(_scores[child], _ids[child], score, id)) break;
            _scores[i] = _scores[child];
            _ids[i] = _ids[child];
            i = child;
        }
        _scores[i] = score;
        _ids[i] = id;
    }

    private static bool Worse(float a, long aId, float b, long bId) => a < b || (a == b && aId > bId);
}
