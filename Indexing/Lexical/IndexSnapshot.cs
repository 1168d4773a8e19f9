using Search.Indexing.Lexical.Codec;

namespace Search.Indexing.Lexical;

/// <summary>A segment shared by snapshots; closed when the last snapshot holding it is released.</summary>
public sealed class SharedSegment(SegmentReader reader, bool persisted)
{
    private int _references = 1;

    /// <summary>The segment's reader.</summary>
    public SegmentReader Reader { get; } = reader;

    /// <summary>True once the segment is a file on disk (false for a segment still in memory).</summary>
    public bool Persisted { get; set; } = persisted;

    /// <summary>Takes a reference.</summary>
    public void Acquire()
    {
        ObjectDisposedException.ThrowIf(Interlocked.Increment(ref _references) <= 1, this);
    }

    /// <summary>Drops a reference; the last one closes the reader.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0) Reader.Dispose();
    }
}

/// <summary>One segment as a snapshot sees it: the segment and its deleted documents at that moment.</summary>
public sealed record SnapshotSegment(SharedSegment Segment, ulong[]? Deleted, int DeletedCount, int DeleteGeneration)
{
    /// <summary>True when the local document is deleted.</summary>
    public bool IsDeleted(int doc) => Deleted is not null && (Deleted[doc >> 6] & (1UL << doc)) != 0;

    /// <summary>Live documents.</summary>
    public int LiveCount => Segment.Reader.DocumentCount - DeletedCount;
}

/// <summary>
/// An immutable point-in-time view of the index: searches run against one and never see a write
/// half-applied. Reference counted so segments stay open while any search holds them.
/// </summary>
public sealed class IndexSnapshot
{
    private ReferenceCount _references = ReferenceCount.One();

    /// <summary>The segments, oldest first.</summary>
    public IReadOnlyList<SnapshotSegment> Segments { get; }

    /// <summary>Documents counted by the statistics: every document in a segment, deleted or not, as Lucene counts them.</summary>
    public long DocumentCount { get; }

    /// <summary>Live documents.</summary>
    public long LiveCount { get; }

    /// <summary>Average field lengths over <see cref="DocumentCount"/>.</summary>
    public double[] AverageLengths { get; }

    /// <summary>Documents containing the term (its UTF-8 bytes) in any field, counted as <see cref="DocumentCount"/> is.</summary>
    public long DocumentFrequency(ReadOnlySpan<byte> term)
    {
        long df = 0;
        foreach (var s in Segments)
        {
            int rank = s.Segment.Reader.FindTerm(term);
            if (rank >= 0) df += s.Segment.Reader.DocumentFrequency(rank);
        }
        return df;
    }

    /// <summary>Builds a snapshot; it takes one reference to every segment.</summary>
    public IndexSnapshot(IReadOnlyList<SnapshotSegment> segments)
    {
        Segments = segments;
        var totals = new long[SegmentFormat.FieldCount];
        foreach (var s in segments)
        {
            s.Segment.Acquire();
            DocumentCount += s.Segment.Reader.DocumentCount;
            LiveCount += s.LiveCount;
            for (int f = 0; f < totals.Length; f++) totals[f] += s.Segment.Reader.TotalLength(f);
        }
        AverageLengths = new double[SegmentFormat.FieldCount];
        for (int f = 0; f < totals.Length; f++) AverageLengths[f] = DocumentCount == 0 ? 0 : (double)totals[f] / DocumentCount;
    }

    /// <summary>Takes a reference; false when the snapshot is already closed.</summary>
    public bool TryAcquire() => _references.TryAcquire();

    /// <summary>Drops a reference; the last releases the segments.</summary>
    public void Release()
    {
        if (!_references.Release()) return;
        foreach (var s in Segments) s.Segment.Release();
    }
}
