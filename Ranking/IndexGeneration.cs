using Search.Indexing.Lexical;

namespace Search.Ranking;

/// <summary>The life of an index generation.</summary>
public enum GenerationState
{
    Building,
    Serving,
    Retired,
}

/// <summary>What the admin API shows of a generation.</summary>
public sealed record GenerationInfo(int Id, GenerationState State, long Segments, long SizeBytes, long Sequence, DateTimeOffset CreatedAt, double Progress);

/// <summary>
/// One numbered build of a collection's indexes. Searches hold a reference while they run, so a
/// generation retired by a reindex is closed (and its files deleted) only after the last of them ends.
/// </summary>
public sealed class IndexGeneration(int id, ILexicalIndex lexical, string? directory)
{
    private ReferenceCount _references = ReferenceCount.One();

    /// <summary>The generation number, increasing per collection.</summary>
    public int Id { get; } = id;

    /// <summary>The BM25 index.</summary>
    public ILexicalIndex Lexical { get; } = lexical;

    /// <summary>Where its files live, or null in memory.</summary>
    public string? Directory { get; } = directory;

    /// <summary>When the build started.</summary>
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Its state.</summary>
    public GenerationState State { get; set; } = GenerationState.Building;

    /// <summary>The store change sequence it reflects.</summary>
    public long Sequence { get; set; }

    /// <summary>Build progress from 0 to 1.</summary>
    public double Progress { get; set; } = 1;

    /// <summary>A snapshot of its facts.</summary>
    public GenerationInfo Info()
    {
        long segments = 0, bytes = 0;
        if (Lexical is LexicalIndex l && State != GenerationState.Retired)
        {
            segments = l.SegmentCount;
            bytes = l.SizeBytes;
        }
        return new GenerationInfo(Id, State, segments, bytes, Sequence, CreatedAt, Math.Round(Progress, 4));
    }

    /// <summary>Takes a reference; false once it is closed.</summary>
    public bool TryAcquire() => _references.TryAcquire();

    /// <summary>Drops a reference; the last closes the index and deletes a retired generation's files.</summary>
    public void Release()
    {
        if (!_references.Release()) return;
        Lexical.Dispose();
        if (State == GenerationState.Retired && Directory is not null)
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
