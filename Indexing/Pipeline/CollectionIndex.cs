using Microsoft.Extensions.Logging;
using Search.Indexing.Dense;
using Search.Indexing.Lexical;
using Search.Indexing.Lexical.Codec;
using Search.Indexing.Storage;

namespace Search.Indexing.Pipeline;

/// <summary>
/// One collection's indexes in this process. When the process owns the collection's index folder, it maintains the
/// serving generation through its stages (in the background, or when asked) and builds the next one on a reindex;
/// otherwise it serves the owner's last commit, opened read-only and reopened when the owner commits again.
/// </summary>
internal sealed class CollectionIndex : IAsyncDisposable
{
    private const int HistoryKept = 5;
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(500);

    private readonly IDocumentStore _store;
    private readonly IndexingOptions _options;
    private readonly ILogger _logger;
    private readonly string? _directory;
    private readonly Lock _lock = new();
    private readonly List<GenerationInfo> _history = [];
    // Stepping the serving generation by hand (catch-up, the swap of a reindex) is one at a time.
    private readonly SemaphoreSlim _stepping = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private IndexHome? _home;
    private IndexGeneration _serving = null!;
    private StageRunner? _runner;
    private IndexGeneration? _building;
    private Task? _maintenance;
    private Task? _reindex;
    private volatile bool _closed;
    private (int Current, DateTime Manifest, DateTime Dense) _readOnlyStamp;
    private DateTime _lastRefresh = DateTime.UtcNow;

    private string? _embedder;

    private CollectionIndex(string name, long collectionId, string? embedder, IDocumentStore store, IndexingOptions options, ILogger logger)
    {
        Name = name;
        CollectionId = collectionId;
        _embedder = embedder;
        _store = store;
        _options = options;
        _logger = logger;
        _directory = options.Root is null ? null : Path.Combine(options.Root, "c" + collectionId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Feed = new ChangeFeed(store, name, options.BatchChanges);
    }

    /// <summary>The collection's name.</summary>
    public string Name { get; }

    /// <summary>The store's id of the collection (a re-created collection gets a new one).</summary>
    public long CollectionId { get; }

    /// <summary>The collection's change log.</summary>
    public ChangeFeed Feed { get; }

    /// <summary>Pulsed when the collection's change log grew (a write here, or one another process made, found by polling).</summary>
    public AsyncPulse Changed { get; } = new();

    /// <summary>The serving generation.</summary>
    public IndexGeneration Serving => Volatile.Read(ref _serving);

    /// <summary>Whether this process maintains the indexes (else it reads another's commits).</summary>
    public bool Owned => !Serving.IsReadOnly;

    /// <summary>Opens the collection's indexes as the options' mode allows: no change is replayed here.</summary>
    public static async Task<CollectionIndex> OpenAsync(CollectionKey collection, IDocumentStore store, IndexingOptions options, ILogger logger, CancellationToken ct)
    {
        var index = new CollectionIndex(collection.Name, collection.Id, collection.Embedder, store, options, logger);
        try
        {
            var serving = await index.OpenServingAsync(ct);
            Volatile.Write(ref index._serving, serving);
            if (options.Mode == IndexingMode.Background)
            {
                index.StartRunner();
                index._maintenance = Task.Run(() => index.MaintainAsync(index._stop.Token), CancellationToken.None);
            }
        }
        catch
        {
            index._home?.Dispose();
            throw;
        }
        return index;
    }

    private async Task<IndexGeneration> OpenServingAsync(CancellationToken ct)
    {
        if (_directory is null)
        {
            var memory = IndexGeneration.Maintained(1, LexicalIndex.InMemory(_options.Analyzer, _options.Bm25), null, Model(), null, _store, _options);
            memory.State = GenerationState.Serving;
            return memory;
        }
        if (_options.Mode != IndexingMode.ReadOnly) _home = IndexHome.TryOpen(_directory);
        var generation = _home is null ? OpenReadOnly(_directory) : await OpenOwnedAsync(_home, ct);
        if (generation.IsReadOnly || generation.Lexical.CommittedSequence > 0) await generation.Documents.LoadAsync(_store, Name, ct);
        return generation;
    }

    private async Task<IndexGeneration> OpenOwnedAsync(IndexHome home, CancellationToken ct)
    {
        int current = home.ReadCurrent();
        if (current == 0)
        {
            current = 1;
            home.WriteCurrent(current);
        }
        home.DeleteAllBut(current); // leftovers of an interrupted reindex
        string directory = home.GenerationDirectory(current);
        LexicalIndex lexical;
        try
        {
            lexical = LexicalIndex.Open(directory, _options.Analyzer, _options.Bm25);
        }
        catch (CorruptIndexException e)
        {
            // The stages rebuild it from the store in the background and commit it as soon as it is built.
            _logger.LogWarning("The index of collection '{Collection}' is damaged ({Message}); rebuilding it from the store", Name, e.Message);
            Directory.Delete(directory, recursive: true);
            lexical = LexicalIndex.Open(directory, _options.Analyzer, _options.Bm25);
        }
        DenseCollectionIndex? dense = null;
        try
        {
            dense = DenseCollectionIndex.TryLoad(directory, await _store.GetLastChangeAsync(Name, ct), _options.ApproximateFrom, Model());
        }
        catch (InvalidDataException e)
        {
            _logger.LogWarning("The dense index of collection '{Collection}' is damaged ({Message}); learning it again from the store", Name, e.Message);
        }
        catch
        {
            lexical.Dispose();
            throw;
        }
        var generation = IndexGeneration.Maintained(current, lexical, dense, Model(), directory, _store, _options);
        generation.State = GenerationState.Serving;
        return generation;
    }

    /// <summary>The owner's last commit. The owner may replace it while it is read: a missing file means a newer commit, which is read instead.</summary>
    private IndexGeneration OpenReadOnly(string directory)
    {
        for (int attempt = 0; ; attempt++)
        {
            var stamp = ReadOnlyStamp(directory);
            if (stamp.Current == 0)
            {
                _readOnlyStamp = stamp;
                return IndexGeneration.ReadOnly(0, LexicalIndex.InMemory(_options.Analyzer, _options.Bm25), null, null);
            }
            string generationDirectory = IndexHome.GenerationDirectory(directory, stamp.Current);
            LexicalIndex lexical;
            try
            {
                lexical = LexicalIndex.OpenReadOnly(generationDirectory, _options.Analyzer, _options.Bm25);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or CorruptIndexException)
            {
                if (attempt >= 20)
                    throw new IndexUnavailableException($"the index of '{Name}' cannot be read now ({e.Message}); the process that maintains it is rebuilding it", e);
                Thread.Sleep(50);
                continue;
            }
            DenseCollectionIndex? dense = null;
            try
            {
                dense = DenseCollectionIndex.TryLoad(generationDirectory, long.MaxValue, _options.ApproximateFrom, Model());
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                // Being rewritten by its owner: dense and hybrid searches use BM25 alone until the next refresh.
            }
            _readOnlyStamp = stamp;
            return IndexGeneration.ReadOnly(stamp.Current, lexical, dense, generationDirectory);
        }
    }

    private static (int Current, DateTime Manifest, DateTime Dense) ReadOnlyStamp(string directory)
    {
        int current = IndexHome.ReadCurrent(directory);
        if (current == 0) return (0, default, default);
        string generation = IndexHome.GenerationDirectory(directory, current);
        return (current, File.GetLastWriteTimeUtc(Path.Combine(generation, IndexManifest.FileName)), File.GetLastWriteTimeUtc(Path.Combine(generation, "dense", "dense.bin")));
    }

    /// <summary>A reference to the serving generation that stays valid until released, even across a swap.</summary>
    public async ValueTask<IndexGeneration> AcquireAsync(CancellationToken ct)
    {
        if (Serving.IsReadOnly && _directory is not null && DateTime.UtcNow - _lastRefresh >= RefreshInterval && !_closed) await RefreshAsync(ct);
        while (true)
        {
            var g = Serving;
            if (g.TryAcquire()) return g;
            // A generation is released after the next one is published, so looking again finds it; unless these indexes are closed.
            if (_closed) throw new NotFoundException($"the indexes of '{Name}' are closed (the collection was deleted, or the service is stopping)");
        }
    }

    /// <summary>Reopens the owner's commit when it has committed since (read-only only).</summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        _lastRefresh = DateTime.UtcNow;
        if (ReadOnlyStamp(_directory!) == _readOnlyStamp) return;
        await _stepping.WaitAsync(ct);
        try
        {
            if (ReadOnlyStamp(_directory!) == _readOnlyStamp) return;
            var fresh = OpenReadOnly(_directory!);
            await fresh.Documents.LoadAsync(_store, Name, ct);
            var old = Interlocked.Exchange(ref _serving, fresh);
            old.State = GenerationState.Retired;
            old.Release();
        }
        finally { _stepping.Release(); }
    }

    private void StartRunner()
    {
        if (Serving.IsReadOnly) return;
        _runner = new StageRunner(Serving, Feed, Changed, _options, _logger);
        _runner.Start();
    }

    /// <summary>
    /// Background upkeep: wakes the stages when another process wrote to the collection, takes over the indexes when
    /// the process that held them lets go, and follows a read-only generation's owner.
    /// </summary>
    private async Task MaintainAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.PollInterval, ct);
                var serving = Serving;
                if (!serving.IsReadOnly)
                {
                    long latest = await Feed.LatestAsync(ct);
                    if (latest > serving.LexicalSequence || latest > serving.DenseSequence) Changed.Pulse();
                }
                else if (_directory is not null && IndexHome.TryOpen(_directory) is { } home)
                {
                    await TakeOverAsync(home, ct);
                }
                else
                {
                    await RefreshAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (NotFoundException)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Upkeep of the indexes of collection '{Collection}' failed", Name);
            }
        }
    }

    private async Task TakeOverAsync(IndexHome home, CancellationToken ct)
    {
        await _stepping.WaitAsync(ct);
        try
        {
            IndexGeneration owned;
            try
            {
                owned = await OpenOwnedAsync(home, ct);
                if (owned.Lexical.CommittedSequence > 0) await owned.Documents.LoadAsync(_store, Name, ct);
            }
            catch
            {
                home.Dispose();
                throw;
            }
            _home = home;
            var old = Interlocked.Exchange(ref _serving, owned);
            old.State = GenerationState.Retired;
            old.Release();
            StartRunner();
            _logger.LogInformation("Now maintaining the indexes of collection '{Collection}'", Name);
        }
        finally { _stepping.Release(); }
    }

    /// <summary>
    /// Brings the serving generation's stages through the whole change log and commits them. On demand they are run
    /// here; in the background mode their loops run them and this waits; read-only, nothing is done.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken ct)
    {
        if (_options.Mode == IndexingMode.Background)
        {
            if (Owned) await WaitIndexedAsync(await Feed.LatestAsync(ct), ct);
            return;
        }
        await _stepping.WaitAsync(ct);
        try
        {
            var serving = Serving;
            if (serving.IsReadOnly) return;
            await StepThroughAsync(serving.Stages, await Feed.LatestAsync(ct), ct);
        }
        finally { _stepping.Release(); }
    }

    /// <summary>
    /// Runs the stages in order until each has applied the change <paramref name="target"/> (the statistics stage,
    /// which follows no position, steps once), committing as their intervals say and at the end. The target is fixed
    /// when the caller starts: writes that keep arriving never keep a catch-up or a reindex from finishing.
    /// </summary>
    private async Task StepThroughAsync(IReadOnlyList<IndexingStage> stages, long target, CancellationToken ct)
    {
        foreach (var stage in stages)
        {
            var interval = StageRunner.CommitInterval(stage, _options);
            if (stage is StatisticsStage) await stage.StepAsync(Feed, ct);
            else
            {
                while ((stage.Position < target || stage.WorkDue) && await stage.StepAsync(Feed, ct))
                    if (stage.Dirty && DateTime.UtcNow - stage.LastCommit >= interval) stage.Commit();
            }
            if (stage.Dirty) stage.Commit();
        }
    }

    /// <summary>
    /// Returns once every searchable stage of the serving generation has applied the change <paramref name="sequence"/>.
    /// In the background mode the stages get there by themselves; on demand they are run here; read-only, the owner's
    /// commits are followed. Throws <see cref="IndexingFailedException"/> while a stage that has not got there is failing.
    /// </summary>
    public async Task WaitIndexedAsync(long sequence, CancellationToken ct)
    {
        if (_options.Mode == IndexingMode.OnDemand) await CatchUpAsync(ct);
        while (true)
        {
            var serving = Serving;
            if (serving.IsReadOnly)
            {
                if (serving.LexicalSequence >= sequence && serving.DenseSequence >= sequence) return;
                await Task.Delay(RefreshInterval, ct);
                if (_directory is not null) await RefreshAsync(ct);
                continue;
            }
            var lexical = serving.LexicalStage!;
            var dense = serving.DenseStage!;
            var moved = Task.WhenAny(lexical.Advanced.Next, dense.Advanced.Next);
            if (lexical.Position >= sequence && dense.Position >= sequence) return;
            foreach (var stage in (IndexingStage[])[lexical, dense])
                if (stage.Position < sequence && stage.Error is { } error)
                    throw new IndexingFailedException($"the {stage.Name} stage of '{Name}' is failing: {error}");
            // A swap replaces the stages waited on: look again now and then.
            try { await moved.WaitAsync(TimeSpan.FromSeconds(1), ct); }
            catch (TimeoutException) { }
        }
    }

    /// <summary>The model the collection's embedder names (null: learned from the collection).</summary>
    private DenseEmbedder? Model() => _options.Embedders(_embedder);

    /// <summary>
    /// Starts building the next generation, with the dense vectors of <paramref name="embedder"/> (the collection's
    /// current setting), while the current one serves; see <see cref="CollectionIndexes.StartReindexAsync"/>.
    /// </summary>
    public (GenerationInfo Started, Task<GenerationInfo> Completion) StartReindex(string? embedder, CancellationToken ct)
    {
        if (!Owned)
            throw new ConflictException($"the indexes of '{Name}' are maintained by another process (a running service?); reindex through it");
        IndexGeneration building;
        lock (_lock)
        {
            if (_building is { } running) throw new ConflictException($"generation {running.Id} of '{Name}' is already being built");
            int next = Serving.Id;
            foreach (var h in _history) next = Math.Max(next, h.Id);
            next++;
            string? directory = _home?.GenerationDirectory(next);
            if (directory is not null && Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            var lexical = directory is null ? LexicalIndex.InMemory(_options.Analyzer, _options.Bm25) : LexicalIndex.Open(directory, _options.Analyzer, _options.Bm25);
            _embedder = embedder;
            building = IndexGeneration.Maintained(next, lexical, null, Model(), directory, _store, _options);
            _building = building;
        }
        var completion = BuildAsync(building, ct);
        _reindex = completion;
        return (building.Info(), completion);
    }

    private async Task<GenerationInfo> BuildAsync(IndexGeneration building, CancellationToken requestToken)
    {
        await Task.Yield();
        bool swapped = false;
        // A reindex stops with its request, and with the process.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestToken, _stop.Token);
        var ct = linked.Token;
        try
        {
            // Statistics are published by the generation that serves: the new one publishes once it does.
            var searchable = new IndexingStage[] { building.LexicalStage!, building.DenseStage! };
            await StepThroughAsync(searchable, await Feed.LatestAsync(ct), ct);
            await _stepping.WaitAsync(ct);
            try
            {
                // The serving generation stops moving; the new one reaches at least where it stood, then takes its place.
                if (_runner is { } runner)
                {
                    _runner = null;
                    await runner.DisposeAsync();
                }
                var old = Serving;
                foreach (var stage in old.Stages)
                    if (stage.Dirty) stage.Commit();
                long target = Math.Max(await Feed.LatestAsync(ct), Math.Max(old.LexicalSequence, old.DenseSequence));
                await StepThroughAsync(searchable, target, ct);
                _home?.WriteCurrent(building.Id);
                building.State = GenerationState.Serving;
                Volatile.Write(ref _serving, building);
                swapped = true;
                old.State = GenerationState.Retired;
                lock (_lock)
                {
                    _building = null;
                    _history.Add(old.Info());
                    if (_history.Count > HistoryKept) _history.RemoveAt(0);
                }
                old.Release(); // closes and deletes once in-flight searches let go of it
            }
            finally
            {
                if (_options.Mode == IndexingMode.Background) StartRunner();
                _stepping.Release();
            }
            if (_options.Mode != IndexingMode.Background) await CatchUpAsync(ct);
            return building.Info();
        }
        catch when (!swapped)
        {
            lock (_lock) _building = null;
            building.State = GenerationState.Retired;
            building.Release();
            throw;
        }
    }

    /// <summary>The generations: recently retired ones, the serving one, and one being built.</summary>
    public IReadOnlyList<GenerationInfo> Generations()
    {
        var list = new List<GenerationInfo>();
        IndexGeneration? building;
        lock (_lock)
        {
            list.AddRange(_history);
            building = _building;
        }
        var serving = Serving;
        if (serving.TryAcquire())
        {
            try { list.Add(serving.Info()); }
            finally { serving.Release(); }
        }
        if (building is not null) list.Add(building.Info());
        return list;
    }

    /// <summary>Stops the upkeep and, when owned, commits what the stages applied (a graceful stop); with <paramref name="deleteFiles"/> the indexes are removed instead (the collection was deleted).</summary>
    public async ValueTask DisposeAsync(bool deleteFiles)
    {
        _closed = true;
        await _stop.CancelAsync();
        if (_maintenance is not null) await _maintenance;
        if (_reindex is { } reindex)
        {
            try { await reindex; }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
        }
        await _stepping.WaitAsync();
        try
        {
            if (_runner is { } runner)
            {
                _runner = null;
                await runner.DisposeAsync();
            }
            var serving = Serving;
            if (!deleteFiles && !serving.IsReadOnly)
            {
                foreach (var stage in serving.Stages)
                {
                    try
                    {
                        if (stage.Dirty) stage.Commit();
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                    {
                        _logger.LogError(e, "Committing the {Stage} stage of collection '{Collection}' failed; it resumes from its last commit", stage.Name, Name);
                    }
                }
            }
            if (deleteFiles) serving.State = GenerationState.Retired;
            serving.Release();
            _home?.Dispose();
            if (deleteFiles && _home is not null && _directory is not null)
            {
                try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
            }
        }
        finally
        {
            _stepping.Release();
            _stop.Dispose();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DisposeAsync(deleteFiles: false);
}
