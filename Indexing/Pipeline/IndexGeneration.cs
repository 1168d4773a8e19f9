using Search.Indexing.Dense;
using Search.Indexing.Lexical;
using Search.Indexing.Storage;

namespace Search.Indexing.Pipeline;

/// <summary>The life of an index generation.</summary>
public enum GenerationState
{
    Building,
    Serving,
    Retired,
}

/// <summary>What the admin API shows of a generation.</summary>
/// <param name="Sequence">The change sequence every searchable stage has reached.</param>
/// <param name="Progress">Build progress, 0–1: the mean of its stages'.</param>
public sealed record GenerationInfo(int Id, GenerationState State, long Segments, long SizeBytes, long Sequence, DateTimeOffset CreatedAt, double Progress,
    IReadOnlyList<StageStatus> Stages);

/// <summary>
/// One numbered build of a collection's indexes — BM25, dense vectors, the document table — with the ordered stages
/// that keep them current. Searches hold a reference while they run, so a generation retired by a reindex is closed
/// (and its files deleted) only after the last of them ends. A generation opened read-only (another process owns
/// it) has no stages: it is the owner's last commit.
/// </summary>
public sealed class IndexGeneration
{
    private ReferenceCount _references = ReferenceCount.One();
    private DenseCollectionIndex? _dense;

    private IndexGeneration(int id, LexicalIndex lexical, DenseCollectionIndex? dense, string? directory)
    {
        Id = id;
        Lexical = lexical;
        _dense = dense;
        Directory = directory;
    }

    /// <summary>
    /// A generation this process maintains: its committed lexical and dense indexes (none yet for a new one) and the
    /// stages that bring them up to date, each resuming at its own checkpoint.
    /// </summary>
    public static IndexGeneration Maintained(int id, LexicalIndex lexical, DenseCollectionIndex? dense, DenseEmbedder? model, string? directory, IDocumentStore store,
        IndexingOptions options)
    {
        var generation = new IndexGeneration(id, lexical, dense, directory);
        generation.LexicalStage = new LexicalStage(generation);
        generation.DenseStage = new DenseStage(generation, options, model);
        generation.StatisticsStage = new StatisticsStage(generation, store, options);
        generation.Stages = [generation.LexicalStage, generation.DenseStage, generation.StatisticsStage];
        return generation;
    }

    /// <summary>Another process's committed generation, to search only.</summary>
    public static IndexGeneration ReadOnly(int id, LexicalIndex lexical, DenseCollectionIndex? dense, string? directory) =>
        new(id, lexical, dense, directory) { State = GenerationState.Serving };

    /// <summary>The generation number, increasing per collection.</summary>
    public int Id { get; }

    /// <summary>The BM25 index.</summary>
    public LexicalIndex Lexical { get; }

    /// <summary>The dense index, once learned; replaced whole when relearned (a search keeps the one it read).</summary>
    public DenseCollectionIndex? Dense
    {
        get => Volatile.Read(ref _dense);
        internal set => Volatile.Write(ref _dense, value);
    }

    /// <summary>What hits show of each document.</summary>
    public DocumentTable Documents { get; } = new();

    /// <summary>Where its files live, or null in memory.</summary>
    public string? Directory { get; }

    /// <summary>When it was opened or its build started.</summary>
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Its state.</summary>
    public GenerationState State { get; internal set; } = GenerationState.Building;

    /// <summary>The stages in order (none when read-only).</summary>
    public IReadOnlyList<IndexingStage> Stages { get; private set; } = [];

    /// <summary>The BM25 stage, or null when read-only.</summary>
    public LexicalStage? LexicalStage { get; private set; }

    /// <summary>The dense stage, or null when read-only.</summary>
    public DenseStage? DenseStage { get; private set; }

    /// <summary>The statistics stage, or null when read-only.</summary>
    public StatisticsStage? StatisticsStage { get; private set; }

    /// <summary>Whether another process maintains it.</summary>
    public bool IsReadOnly => LexicalStage is null;

    /// <summary>The change sequence searches see through the BM25 index.</summary>
    public long LexicalSequence => LexicalStage?.Position ?? Lexical.CommittedSequence;

    /// <summary>The change sequence searches see through the dense index (0 before it is learned).</summary>
    public long DenseSequence => DenseStage?.Position ?? Dense?.Sequence ?? 0;

    /// <summary>The stages' states; for a read-only generation, what its owner last committed.</summary>
    public IReadOnlyList<StageStatus> StageStatuses()
    {
        if (!IsReadOnly)
        {
            var list = new List<StageStatus>(Stages.Count);
            foreach (var s in Stages) list.Add(s.Status());
            return list;
        }
        return
        [
            new StageStatus(Pipeline.LexicalStage.StageName, LexicalSequence, LexicalSequence, Documents.Count, 1, 0, null, Lexical.SegmentCount),
            new StageStatus(Pipeline.DenseStage.StageName, DenseSequence, DenseSequence, Dense?.DocumentCount ?? 0, 1, 0, null, Dense?.Count ?? 0),
        ];
    }

    /// <summary>A snapshot of its facts.</summary>
    public GenerationInfo Info()
    {
        long segments = 0, bytes = 0;
        if (State != GenerationState.Retired)
        {
            segments = Lexical.SegmentCount;
            bytes = Lexical.SizeBytes;
        }
        var stages = StageStatuses();
        double progress = 0;
        foreach (var s in stages) progress += s.Progress;
        progress = stages.Count == 0 ? 1 : progress / stages.Count;
        return new GenerationInfo(Id, State, segments, bytes, Math.Min(LexicalSequence, DenseSequence), CreatedAt, Math.Round(progress, 4), stages);
    }

    /// <summary>Takes a reference; false once it is closed.</summary>
    public bool TryAcquire() => _references.TryAcquire();

    /// <summary>Drops a reference; the last closes the indexes and deletes a retired generation's files.</summary>
    public void Release()
    {
        if (!_references.Release()) return;
        foreach (var stage in Stages) stage.Dispose();
        Lexical.Dispose();
        Dense?.Dispose();
        if (State == GenerationState.Retired && Directory is not null && !IsReadOnly)
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
