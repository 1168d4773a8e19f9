using Search.Indexing.Lexical;

namespace Search.Indexing.Pipeline;

/// <summary>
/// The first stage: the generation's BM25 index and its document table. A stage with nothing applied yet builds
/// the index from a snapshot of the store in bulk and commits it at once (a full build is never left to a later
/// shutdown); after that it applies the change log batch by batch.
/// </summary>
public sealed class LexicalStage : IndexingStage
{
    private const long BuildBufferBytes = 256L << 20;
    private readonly IndexGeneration _generation;

    /// <summary>The stage of <paramref name="generation"/>, resuming at its index's last commit.</summary>
    public LexicalStage(IndexGeneration generation)
    {
        _generation = generation;
        Resume(generation.Lexical.CommittedSequence);
    }

    /// <summary>The stage's name.</summary>
    public const string StageName = "lexical";

    /// <inheritdoc />
    public override string Name => StageName;

    /// <inheritdoc />
    public override long Documents => _generation.Documents.Count;

    /// <inheritdoc />
    public override long Segments => _generation.Lexical.SegmentCount;

    /// <inheritdoc />
    protected override async Task<bool> StepCoreAsync(ChangeFeed feed, CancellationToken ct)
    {
        if (Position == 0) return await BuildAsync(feed, ct);
        var batch = await feed.NextAsync(Position, ct);
        if (batch is null) return false;
        var upserts = new List<IndexedDocument>(batch.Upserts.Count);
        foreach (var d in batch.Upserts) upserts.Add(IndexedForms.Lexical(d));
        _generation.Lexical.Apply(upserts, batch.Removals);
        foreach (var d in batch.Upserts) _generation.Documents.Put(d.Document);
        foreach (long id in batch.Removals) _generation.Documents.Remove(id);
        Advance(batch.Through, batch.Upserts.Count + batch.Removals.Count);
        return true;
    }

    private async Task<bool> BuildAsync(ChangeFeed feed, CancellationToken ct)
    {
        long done = 0;
        long through;
        Progress = 0;
        using (var load = _generation.Lexical.StartBulkLoad(BuildBufferBytes))
        {
            through = await feed.SnapshotAsync((page, total) =>
            {
                foreach (var d in page)
                {
                    load.Add(IndexedForms.Lexical(d));
                    _generation.Documents.Put(d.Document);
                }
                done += page.Count;
                Progress = total == 0 ? 1 : Math.Min(1, (double)done / total);
                return Task.CompletedTask;
            }, ct);
        }
        Progress = 1;
        if (through == 0) return false;
        Advance(through, (int)Math.Min(int.MaxValue, done));
        Commit();
        return true;
    }

    /// <inheritdoc />
    protected override void CommitAt(long sequence) => _generation.Lexical.Commit(sequence);
}
