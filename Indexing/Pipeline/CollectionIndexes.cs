using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Search.Indexing.Dense;
using Search.Indexing.Storage;

namespace Search.Indexing.Pipeline;

/// <summary>What the admin API shows of a collection's indexes: the serving generation and its stages.</summary>
/// <param name="Owned">Whether this process maintains them (else it serves another process's last commit).</param>
public sealed record CollectionIndexStatus(GenerationInfo Serving, bool Owned);

/// <summary>
/// The indexes of every collection, and the indexing pipeline that derives them from the store's change log: for each
/// collection, ordered stages (BM25, dense vectors, published statistics) with their own positions and durable
/// checkpoints. Writes only append to the store; the pipeline follows them (in the background, or when asked), so a
/// search only reads a snapshot of the serving generation, whatever is not yet searchable is reported, and a
/// reindex runs the same stages into the next generation and swaps it in.
/// </summary>
public sealed class CollectionIndexes : IAsyncDisposable
{
    private readonly IDocumentStore _store;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Task<CollectionIndex>> _open = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _discovery;

    /// <summary>Indexes over <paramref name="store"/>; in the background mode, every write the store commits wakes its collection's pipeline.</summary>
    public CollectionIndexes(IDocumentStore store, IndexingOptions options, ILogger? logger = null)
    {
        _store = store;
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        if (options.Mode == IndexingMode.Background) store.CollectionChanged += OnCollectionChanged;
    }

    /// <summary>How indexes are built and kept.</summary>
    public IndexingOptions Options { get; }

    /// <summary>
    /// Opens every collection's indexes and keeps looking for collections other processes create, so the background
    /// pipeline follows all of them (background mode only).
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (Options.Mode != IndexingMode.Background) return;
        await OpenAllAsync(ct);
        _discovery = Task.Run(() => DiscoverAsync(_stop.Token), CancellationToken.None);
    }

    private async Task OpenAllAsync(CancellationToken ct)
    {
        foreach (var key in await _store.ListCollectionKeysAsync(ct))
        {
            if (_open.ContainsKey(key.Name)) continue;
            try
            {
                await GetAsync(key.Name, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Opening the indexes of collection '{Collection}' failed", key.Name);
            }
        }
    }

    private async Task DiscoverAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.PollInterval * 5, ct);
                await OpenAllAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Looking for new collections failed");
            }
        }
    }

    private void OnCollectionChanged(object? sender, CollectionChangedEventArgs e)
    {
        if (_open.TryGetValue(e.Collection, out var opening) && opening.IsCompletedSuccessfully) opening.Result.Changed.Pulse();
        else _ = OpenQuietlyAsync(e.Collection); // a new collection's first write: its pipeline starts
    }

    private async Task OpenQuietlyAsync(string collection)
    {
        try
        {
            (await GetAsync(collection, _stop.Token)).Changed.Pulse();
        }
        catch (Exception e) when (e is NotFoundException or OperationCanceledException or ObjectDisposedException)
        {
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Opening the indexes of collection '{Collection}' failed", collection);
        }
    }

    /// <summary>The collection's open indexes, opened on first use; <see cref="NotFoundException"/> when it does not exist.</summary>
    private async Task<CollectionIndex> GetAsync(string collection, CancellationToken ct)
    {
        var key = await _store.GetCollectionKeyAsync(collection, ct) ?? throw new NotFoundException($"collection '{collection}' does not exist");
        long id = key.Id;
        while (true)
        {
            Task<CollectionIndex> opening;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
                if (!_open.TryGetValue(collection, out opening!))
                {
                    // Shared by every caller, so no caller's cancellation may stop it.
                    opening = CollectionIndex.OpenAsync(key, _store, Options, _logger, CancellationToken.None);
                    _open[collection] = opening;
                }
            }
            CollectionIndex index;
            try
            {
                index = await opening.WaitAsync(ct);
            }
            catch (Exception) when (opening.IsFaulted || opening.IsCanceled)
            {
                lock (_lock)
                {
                    if (_open.TryGetValue(collection, out var current) && current == opening) _open.TryRemove(collection, out _);
                }
                throw;
            }
            if (index.CollectionId == id) return index;
            // The collection was deleted and created again: the old one's indexes go.
            await DropAsync(collection, opening);
        }
    }

    /// <summary>
    /// A reference to the collection's serving generation, for one search: it stays valid (and unchanged but for the
    /// stages' progress) until released, even if a reindex swaps generations meanwhile. Opening a collection reads its
    /// last commit; nothing is replayed, learned or embedded here.
    /// </summary>
    public async Task<IndexGeneration> AcquireAsync(string collection, CancellationToken ct) => await (await GetAsync(collection, ct)).AcquireAsync(ct);

    /// <summary>Runs the collection's stages until they have applied its whole change log, and commits them (an ingest or evaluation that indexes on demand).</summary>
    public async Task CatchUpAsync(string collection, CancellationToken ct) => await (await GetAsync(collection, ct)).CatchUpAsync(ct);

    /// <summary>Returns once the change <paramref name="sequence"/> of the collection is searchable through every searchable stage.</summary>
    public async Task WaitIndexedAsync(string collection, long sequence, CancellationToken ct)
    {
        if (sequence <= 0) return;
        await (await GetAsync(collection, ct)).WaitIndexedAsync(sequence, ct);
    }

    /// <summary>Whether this process maintains the collection's indexes (else another process does, and it reads their commits).</summary>
    public async Task<bool> OwnsAsync(string collection, CancellationToken ct) => (await GetAsync(collection, ct)).Owned;

    /// <summary>
    /// Starts building the next generation from the store while the current one serves; returns the new generation as
    /// it starts and a task that completes when it serves. The same stages build it; once they have caught up, the
    /// serving generation's stages stop, the new one reaches at least where they stood, and the two swap, so no search
    /// fails and no result is lost.
    /// </summary>
    public async Task<(GenerationInfo Started, Task<GenerationInfo> Completion)> StartReindexAsync(string collection, CancellationToken ct)
    {
        var index = await GetAsync(collection, ct);
        var key = await _store.GetCollectionKeyAsync(collection, ct) ?? throw new NotFoundException($"collection '{collection}' does not exist");
        return index.StartReindex(key.Embedder, ct);
    }

    /// <summary>The collection's generations: recently retired ones, the serving one, and one being built.</summary>
    public async Task<IReadOnlyList<GenerationInfo>> GenerationsAsync(string collection, CancellationToken ct) => (await GetAsync(collection, ct)).Generations();

    /// <summary>The serving generation and its stages.</summary>
    public async Task<CollectionIndexStatus> StatusAsync(string collection, CancellationToken ct)
    {
        var index = await GetAsync(collection, ct);
        var serving = await index.AcquireAsync(ct);
        try { return new CollectionIndexStatus(serving.Info(), index.Owned); }
        finally { serving.Release(); }
    }

    /// <summary>What the dense side of a collection is now; it is learned by the pipeline, never by this call.</summary>
    public async Task<DenseStatus> DenseStatusAsync(string collection, CancellationToken ct)
    {
        var index = await GetAsync(collection, ct);
        var serving = await index.AcquireAsync(ct);
        try
        {
            bool learning = serving.DenseStage?.Learning ?? false;
            int classes = serving.StatisticsStage?.WordClasses ?? 0;
            long embedding = serving.DenseStage?.InFlight ?? 0;
            return serving.Dense is not { } d
                ? new DenseStatus(false, 0, 0, 0, Options.RelearnAfter, learning, null, 0, 0, false, 0, serving.DenseStage?.EmbedderName, classes, Embedding: embedding)
                : new DenseStatus(true, d.Count, d.LearnedSegments, d.SegmentsEmbeddedSinceLearning, Options.RelearnAfter, learning, d.VectorIndexSpec,
                    d.Embedder.Dimension, d.Sequence, d.LoadedFromDisk, Math.Round(d.TrainingTime.TotalSeconds, 3), d.Embedder.Name, classes, d.Embedder.Runtime, embedding);
        }
        finally { serving.Release(); }
    }

    /// <summary>Forgets a deleted collection's indexes: its pipeline stops and its files are removed.</summary>
    public async Task DropAsync(string collection)
    {
        if (_open.TryGetValue(collection, out var opening)) await DropAsync(collection, opening);
    }

    private async Task DropAsync(string collection, Task<CollectionIndex> opening)
    {
        lock (_lock)
        {
            if (!_open.TryGetValue(collection, out var current) || current != opening) return;
            _open.TryRemove(collection, out _);
        }
        try
        {
            await (await opening).DisposeAsync(deleteFiles: true);
        }
        catch (Exception e) when (opening.IsFaulted || e is OperationCanceledException)
        {
        }
    }

    /// <summary>Stops every pipeline and commits what the stages applied, so a restart resumes from there.</summary>
    public async ValueTask DisposeAsync()
    {
        _store.CollectionChanged -= OnCollectionChanged;
        lock (_lock)
        {
            if (_stop.IsCancellationRequested) return;
            _stop.Cancel();
        }
        if (_discovery is not null) await _discovery;
        foreach (var opening in _open.Values)
        {
            try
            {
                await (await opening).DisposeAsync();
            }
            catch (Exception) when (opening.IsFaulted || opening.IsCanceled)
            {
            }
        }
        _open.Clear();
        _stop.Dispose();
    }
}
