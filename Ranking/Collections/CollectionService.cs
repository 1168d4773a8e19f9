using System.Text.RegularExpressions;
using Search.Indexing.Embeddings;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;

namespace Search.Ranking.Collections;

/// <summary>A searchable stage of a collection's serving generation, as a user sees it.</summary>
/// <param name="Name">lexical or dense.</param>
/// <param name="Documents">Documents searchable through it.</param>
/// <param name="Sequence">The change sequence it has applied.</param>
/// <param name="Checkpoint">The change sequence it has made durable.</param>
/// <param name="PendingChanges">Changes stored after what it applied: not yet searchable through it.</param>
/// <param name="Progress">Progress of a full build (0–1).</param>
/// <param name="Error">Why it is failing, while it is.</param>
/// <param name="Segments">Segments it has indexed (the dense stage: embedded), searchable or in the step running now; of <see cref="CollectionView.Segments"/>.</param>
public sealed record StageView(string Name, long Documents, long Sequence, long Checkpoint, long PendingChanges, double Progress, string? Error, long Segments);

/// <summary>A collection's indexes: the serving generation and what each stage makes searchable.</summary>
/// <param name="Owned">Whether this process maintains them (else another process does, and this one reads its commits).</param>
public sealed record CollectionIndexView(int Generation, bool Owned, IReadOnlyList<StageView> Stages);

/// <summary>The statistics a collection last published, which ingestion segments new documents with.</summary>
/// <param name="Version">Increases with each publication.</param>
/// <param name="Through">The change sequence they reflect.</param>
public sealed record StatisticsView(int Version, long Through, long Documents, DateTimeOffset PublishedAt);

/// <summary>
/// A collection: documents stored and, when asked for one collection, what is searchable per indexing stage and
/// which statistics new documents are segmented with (null before the pipeline publishes any).
/// </summary>
/// <param name="Segments">Segments of the stored documents: what each stage's <see cref="StageView.Segments"/> counts toward.</param>
public sealed record CollectionView(string Name, long Documents, DateTimeOffset CreatedAt, string Embedder, long LatestChange = 0, CollectionIndexView? Index = null,
    StatisticsView? Statistics = null, long Segments = 0);

/// <summary>Collections as users manage them: their name rules, creation, views, and deletion (which cancels their tasks, keeps the tasks' history, and drops the indexes).</summary>
public sealed partial class CollectionService(IDocumentStore store, CollectionIndexes indexes, EmbedderRegistry embedders)
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>The name rules: 1–64 letters, digits, '_', '.', '-', starting with a letter or digit.</summary>
    public const string NameRules = "a collection name is 1 to 64 characters: letters, digits, '_', '.', '-', starting with a letter or digit";

    /// <summary>Returns <paramref name="name"/>, or throws <see cref="ArgumentException"/> when it breaks the name rules.</summary>
    public static string ValidateName(string? name) =>
        !string.IsNullOrEmpty(name) && NamePattern().IsMatch(name) ? name : throw new ArgumentException(NameRules);

    /// <summary>
    /// Creates a collection, its dense vectors made by <paramref name="embedder"/> (a packaged encoder, the configured
    /// model, or "corpus"; null: the engine's default); <see cref="ConflictException"/> when it exists.
    /// </summary>
    public async Task<CollectionView> CreateAsync(string? name, string? embedder, CancellationToken ct)
    {
        string valid = ValidateName(name);
        if (!await store.CreateCollectionAsync(valid, ValidateEmbedder(embedder), ct)) throw new ConflictException($"collection '{valid}' exists already");
        return await GetAsync(valid, ct);
    }

    /// <summary>Creates the collection unless it exists; true when it was created.</summary>
    public async Task<bool> EnsureAsync(string name, string? embedder, CancellationToken ct) => await store.CreateCollectionAsync(ValidateName(name), ValidateEmbedder(embedder), ct);

    /// <summary>
    /// Makes a collection's dense vectors with another embedder: the next generation is built with it while the
    /// current one serves (a reindex, returned), so searches go on meanwhile.
    /// </summary>
    public async Task<(GenerationInfo Started, Task<GenerationInfo> Completion)> ChangeEmbedderAsync(string name, string? embedder, CancellationToken ct)
    {
        if (!await indexes.OwnsAsync(name, ct))
            throw new ConflictException($"the indexes of '{name}' are maintained by another process (a running service?); change its embedder through it");
        var before = await store.GetCollectionKeyAsync(name, ct) ?? throw new NotFoundException($"collection '{name}' does not exist");
        await store.SetCollectionEmbedderAsync(name, ValidateEmbedder(embedder), ct);
        try
        {
            return await indexes.StartReindexAsync(name, ct);
        }
        catch
        {
            await store.SetCollectionEmbedderAsync(name, before.Embedder, CancellationToken.None);
            throw;
        }
    }

    private string? ValidateEmbedder(string? embedder)
    {
        if (embedder is null || embedder == EmbedderRegistry.Corpus || embedders.Names.Contains(embedder)) return embedder;
        throw new ArgumentException($"no embedder '{embedder}'; known: {string.Join(", ", [.. embedders.Names, EmbedderRegistry.Corpus])}");
    }

    /// <summary>Throws <see cref="NotFoundException"/> unless the collection exists (cheaply: before a large request body is read).</summary>
    public async Task RequireAsync(string name, CancellationToken ct)
    {
        if (await store.GetCollectionIdAsync(name, ct) is null) throw new NotFoundException($"collection '{name}' does not exist");
    }

    /// <summary>The change sequence of the collection's latest write (0 before any).</summary>
    public Task<long> LatestChangeAsync(string name, CancellationToken ct) => store.GetLastChangeAsync(name, ct);

    /// <summary>Every collection with its stored document count.</summary>
    public async Task<IReadOnlyList<CollectionView>> ListAsync(CancellationToken ct)
    {
        var list = new List<CollectionView>();
        foreach (var c in await store.ListCollectionsAsync(ct)) list.Add(new CollectionView(c.Name, c.DocumentCount, c.CreatedAt, c.Embedder ?? embedders.DefaultName, Segments: c.SegmentCount));
        return list;
    }

    /// <summary>One collection with its indexes' stages; <see cref="NotFoundException"/> when it does not exist.</summary>
    public async Task<CollectionView> GetAsync(string name, CancellationToken ct)
    {
        var c = await store.GetCollectionAsync(name, ct) ?? throw new NotFoundException($"collection '{name}' does not exist");
        var status = await indexes.StatusAsync(name, ct);
        long latest = await store.GetLastChangeAsync(name, ct);
        var stages = new List<StageView>();
        foreach (var s in status.Serving.Stages)
        {
            if (s.Name == StatisticsStage.StageName) continue; // publishes statistics; searches do not read it
            long pending = s.Sequence >= latest ? 0 : await store.CountChangesAsync(name, s.Sequence, ct);
            stages.Add(new StageView(s.Name, s.Documents, s.Sequence, s.Checkpoint, pending, s.Progress, s.Error, Math.Min(c.SegmentCount, s.Segments + s.InFlight)));
        }
        var statistics = await store.GetStatisticsAsync(name, ct) is { } published
            ? new StatisticsView(published.Version, published.Through, published.Documents, published.CreatedAt)
            : null;
        return new CollectionView(c.Name, c.DocumentCount, c.CreatedAt, c.Embedder ?? embedders.DefaultName, latest,
            new CollectionIndexView(status.Serving.Id, status.Owned, stages), statistics, c.SegmentCount);
    }

    /// <summary>
    /// Deletes a collection: its queued and running tasks are cancelled (their history stays), its documents go, and
    /// its indexes are dropped. <see cref="NotFoundException"/> when it does not exist.
    /// </summary>
    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        if (!await store.DeleteCollectionAsync(name, ct)) throw new NotFoundException($"collection '{name}' does not exist");
        await indexes.DropAsync(name);
    }
}
