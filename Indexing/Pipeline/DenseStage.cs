using Search.Core.IO;
using Search.Indexing.Dense;
using Search.Indexing.Embeddings;

namespace Search.Indexing.Pipeline;

/// <summary>
/// The second stage: plain and situated vectors of every segment. With nothing yet it learns the collection's
/// embedder (or takes the configured model) from a snapshot of the store and embeds every segment; after that it
/// embeds only the documents the change log names, with the model it has. Once the changes reach
/// <see cref="IndexingOptions.RelearnAfter"/> of what a learned embedder was learned from, it learns a new one from
/// the store, catches it up and swaps it in while the old one keeps serving. A learning is committed at once.
/// </summary>
public sealed class DenseStage : IndexingStage
{
    private readonly IndexGeneration _generation;
    private readonly IndexingOptions _options;
    private readonly DenseEmbedder? _model;
    private volatile bool _learning;
    private EmbeddingJournal? _journal;
    private bool _journalOpened;
    // Segments the running step has embedded that the serving index does not hold yet.
    private long _inFlight;
    private long _buildTotal;

    /// <summary>
    /// The stage of <paramref name="generation"/>, resuming at the dense index the generation opened with (if any);
    /// it embeds with <paramref name="model"/>, or learns an embedder from the collection when that is null.
    /// </summary>
    public DenseStage(IndexGeneration generation, IndexingOptions options, DenseEmbedder? model)
    {
        _generation = generation;
        _options = options;
        _model = model;
        if (generation.Dense is { } dense) Resume(dense.Sequence);
    }

    /// <summary>The name of what embeds: a model's, or <see cref="DenseEmbedder.CorpusName"/>.</summary>
    public string EmbedderName => _model?.Name ?? DenseEmbedder.CorpusName;

    /// <summary>The stage's name.</summary>
    public const string StageName = "dense";

    /// <inheritdoc />
    public override string Name => StageName;

    /// <inheritdoc />
    public override long Documents => _generation.Dense?.DocumentCount ?? 0;

    /// <inheritdoc />
    public override long Segments => _generation.Dense?.Count ?? 0;

    /// <summary>Segments the running step has embedded that are not searchable yet.</summary>
    public override long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Whether a new embedder is being learned now.</summary>
    public bool Learning => _learning;

    /// <inheritdoc />
    public override bool WorkDue => _generation.Dense is { } dense && RelearnDue(dense);

    private bool RelearnDue(DenseCollectionIndex dense) =>
        dense.Embedder.IsLearned && dense.SegmentsEmbeddedSinceLearning > _options.RelearnAfter * Math.Max(1, dense.LearnedSegments);

    /// <inheritdoc />
    protected override async Task<bool> StepCoreAsync(ChangeFeed feed, CancellationToken ct)
    {
        var dense = _generation.Dense;
        if (dense is null || RelearnDue(dense)) return await LearnAsync(feed, ct);
        var batch = await feed.NextAsync(Position, ct);
        if (batch is null) return false;
        var log = Journal();
        try
        {
            await Task.Run(() => Apply(dense, batch, log, Embedded), ct);
        }
        finally
        {
            Interlocked.Exchange(ref _inFlight, 0);
        }
        Advance(batch.Through, batch.Upserts.Count + batch.Removals.Count);
        return true;
    }

    private void Embedded(int count) => Interlocked.Add(ref _inFlight, count);

    private static void Apply(DenseCollectionIndex dense, ChangeBatch batch, EmbeddingJournal? journal, Action<int>? embedded)
    {
        var touched = new List<long>(batch.Upserts.Count + batch.Removals.Count);
        foreach (var d in batch.Upserts) touched.Add(d.Document.Id);
        touched.AddRange(batch.Removals);
        var segments = new List<DenseSegment>();
        IndexedForms.AddDense(batch.Upserts, segments);
        dense.Update(touched, segments, batch.Through, journal, embedded);
    }

    /// <summary>
    /// The log a model's vectors are written to as they are made (none for a learned embedder, which is cheap to
    /// run again): the generation's own, emptied at each save, or the configured cache's.
    /// </summary>
    private EmbeddingJournal? Journal()
    {
        if (_model is null || _journalOpened) return _journal;
        _journalOpened = true;
        // The cache is keyed by model and runtime: int8 on the CPU and fp32 on a GPU give slightly different vectors.
        string? path = _options.EmbeddingCache is { } cache ? Path.Combine(cache, FileName(_model.Name + "." + _model.Runtime) + ".journal")
            : _generation.Directory is { } directory ? Path.Combine(directory, "dense", "journal.bin") : null;
        if (path is not null) _journal = EmbeddingJournal.Open(path, _model.Name, _model.Dimension);
        return _journal;
    }

    private static string FileName(string name)
    {
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] is not ('-' or '.')) chars[i] = '_';
        return new string(chars);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _journal?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Learns (or, with a model, embeds) a new dense index from the store, catches it up with the log and swaps it in.</summary>
    private async Task<bool> LearnAsync(ChangeFeed feed, CancellationToken ct)
    {
        bool first = _generation.Dense is null;
        _learning = true;
        try
        {
            if (first) Progress = 0;
            var segments = new List<DenseSegment>();
            long done = 0;
            long through = await feed.SnapshotAsync((page, total) =>
            {
                IndexedForms.AddDense(page, segments);
                done += page.Count;
                if (first) Progress = total == 0 ? 0.5 : 0.5 * Math.Min(1, (double)done / total);
                return Task.CompletedTask;
            }, ct);
            if (segments.Count == 0)
            {
                // Nothing to learn from yet: the stage has seen the log that far, and learns once there is text.
                Progress = 1;
                if (through <= Position) return false;
                Advance(through, 0);
                return true;
            }
            var log = Journal();
            // A first build reports its segments as they are embedded (the half of its progress after reading the
            // store); a relearning's are not counted, since the index it replaces holds them already.
            Action<int>? embedded = first ? Building : null;
            Volatile.Write(ref _buildTotal, segments.Count);
            var fresh = await Task.Run(() => DenseCollectionIndex.Build(segments, through, new CorpusEmbedderOptions(), _options.ApproximateFrom, _model, log, embedded), ct);
            segments.Clear();
            // Writes made while it learned are embedded before it serves.
            while (await feed.NextAsync(fresh.Sequence, ct) is { } batch) await Task.Run(() => Apply(fresh, batch, log, embedded), ct);
            // The index it replaces is left to the collector: a search may still be reading it.
            Interlocked.Exchange(ref _inFlight, 0);
            _generation.Dense = fresh;
            Progress = 1;
            Advance(fresh.Sequence, (int)Math.Min(int.MaxValue, done));
            Commit();
            return true;
        }
        finally
        {
            _learning = false;
            Interlocked.Exchange(ref _inFlight, 0);
        }
    }

    private void Building(int count)
    {
        long done = Interlocked.Add(ref _inFlight, count), total = Volatile.Read(ref _buildTotal);
        Progress = 0.5 + 0.5 * Math.Min(1, total == 0 ? 1 : (double)done / total);
    }

    /// <inheritdoc />
    protected override void CommitAt(long sequence)
    {
        if (_generation.Directory is not { } directory || _generation.Dense is not { } dense || dense.SavedSequence == dense.Sequence) return;
        dense.Save(directory, DiskFileSystem.Instance);
        // The saved index holds those vectors now; a cache keeps them for whoever embeds the same text again.
        if (_options.EmbeddingCache is null) _journal?.Reset();
    }
}
