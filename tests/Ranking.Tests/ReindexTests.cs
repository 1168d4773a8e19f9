using Search.TestSupport;

namespace Search.Ranking.Tests;

/// <summary>Reindexing builds the next generation while the current one serves; searches never fail nor lose results.</summary>
public sealed class ReindexTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Reindex_swaps_generations_under_concurrent_searches_and_writes()
    {
        await using (var engine = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = _dir.Path }))
        {
            await engine.Store.CreateCollectionAsync("c");
            for (int i = 0; i < 200; i++) await TestDocuments.AddAsync(engine, "s" + i, $"stable document number n{i}");
            Assert.Equal(200, (await engine.Search.SearchAsync("c", new SearchRequest("stable", 1000, GroupByDocument: true))).Hits.Count);

            using var stop = new CancellationTokenSource();
            var failures = new List<string>();
            int searches = 0;
            var searchers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var hits = (await engine.Search.SearchAsync("c", new SearchRequest("stable", 1000, GroupByDocument: true))).Hits;
                        if (hits.Count != 200) lock (failures) failures.Add($"saw {hits.Count} stable documents");
                        Interlocked.Increment(ref searches);
                    }
                    catch (Exception e)
                    {
                        lock (failures) failures.Add(e.ToString());
                    }
                }
            })).ToList();
            var writer = Task.Run(async () =>
            {
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    await TestDocuments.AddAsync(engine, "s" + (i % 200), $"stable document number n{i % 200} revision r{i}");
                    await TestDocuments.AddAsync(engine, "x" + i, $"extra document x{i}");
                }
            });
            var (started, completion) = await engine.Indexes.StartReindexAsync("c", CancellationToken.None);
            Assert.Equal((2, GenerationState.Building), (started.Id, started.State));
            var done = await completion;
            while (Volatile.Read(ref searches) < 20 && failures.Count == 0) await Task.Delay(10);
            stop.Cancel();
            await Task.WhenAll([.. searchers, writer]);
            Assert.Empty(failures);
            Assert.Equal((2, GenerationState.Serving), (done.Id, done.State));

            var generations = await engine.Indexes.GenerationsAsync("c", CancellationToken.None);
            Assert.Equal([(1, GenerationState.Retired), (2, GenerationState.Serving)], generations.Select(g => (g.Id, g.State)));
            // Every document written before or during the reindex is in the new generation.
            long documents = (await engine.Store.GetCollectionAsync("c"))!.DocumentCount;
            var all = await engine.Search.SearchAsync("c", new SearchRequest("document", 1000, GroupByDocument: true));
            Assert.Equal(Math.Min(1000, documents), all.Hits.Count);
            var (_, third) = await engine.Indexes.StartReindexAsync("c", CancellationToken.None);
            await Assert.ThrowsAsync<Indexing.Storage.ConflictException>(() => engine.Indexes.StartReindexAsync("c", CancellationToken.None));
            Assert.Equal(3, (await third).Id);
        }
        // The generation that serves survives a restart; the retired one's files are gone.
        var dirs = Directory.GetDirectories(Directory.GetDirectories(Path.Combine(_dir.Path, "index", "sqlite")).Single());
        Assert.Single(dirs);
        await using var reopened = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = _dir.Path });
        Assert.Equal(200, (await reopened.Search.SearchAsync("c", new SearchRequest("stable", 1000, GroupByDocument: true))).Hits.Count);
        Assert.Equal(3, (await reopened.Indexes.GenerationsAsync("c", CancellationToken.None)).Single().Id);
    }
}
