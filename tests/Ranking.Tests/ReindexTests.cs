using System.Collections.Concurrent;
using Search.Indexing.Pipeline;

namespace Search.Ranking.Tests;

/// <summary>Reindexing builds the next generation while the current one serves; searches never fail nor lose results, and one in flight across the swap finishes on the old generation.</summary>
public sealed class ReindexTests : EngineTest
{
    [Fact]
    public async Task Reindex_swaps_generations_under_searches_that_provably_overlap_the_swap()
    {
        for (int i = 0; i < 200; i++) await TestDocuments.AddAsync(Engine, "s" + i, $"stable document number n{i}");
        Assert.Equal(200, (await SearchAsync(new SearchRequest("stable", 1000, GroupByDocument: true))).Hits.Count);

        // A search that has taken its snapshot of generation 1 and will finish only after the swap.
        var inFlight = await Engine.Indexes.AcquireAsync("c", CancellationToken.None);
        Assert.Equal(1, inFlight.Id);

        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        var seen = new ConcurrentDictionary<int, int>();
        var sawFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawSecond = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var searchers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var response = await Engine.Search.SearchAsync("c", new SearchRequest("stable", 1000, GroupByDocument: true));
                    if (response.Hits.Count != 200) failures.Enqueue($"generation {response.Index.Generation} showed {response.Hits.Count} stable documents");
                    seen.AddOrUpdate(response.Index.Generation, 1, (_, n) => n + 1);
                    if (response.Index.Generation == 1) sawFirst.TrySetResult();
                    if (response.Index.Generation == 2) sawSecond.TrySetResult();
                }
                catch (Exception e)
                {
                    failures.Enqueue(e.ToString());
                }
            }
        })).ToList();
        var writer = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                await TestDocuments.AddAsync(Engine, "s" + (i % 200), $"stable document number n{i % 200} revision r{i}");
                await TestDocuments.AddAsync(Engine, "x" + i, $"extra document x{i}");
            }
        });
        await sawFirst.Task; // searches are running on generation 1
        var (started, completion) = await Engine.Indexes.StartReindexAsync("c", CancellationToken.None);
        Assert.Equal((2, GenerationState.Building), (started.Id, started.State));
        var done = await completion;
        await sawSecond.Task; // and went on, without a gap, on generation 2
        await stop.CancelAsync();
        await Task.WhenAll([.. searchers, writer]);
        Assert.Empty(failures);
        Assert.Equal((2, GenerationState.Serving), (done.Id, done.State));
        Assert.Equal([1, 2], seen.Keys.Order());

        // The search that started before the swap completes on generation 1, whose files stay until it lets go.
        Assert.Equal(GenerationState.Retired, inFlight.State);
        Assert.Equal(200, inFlight.Lexical.Search(new Indexing.Lexical.LexicalQuery("stable", 1000, GroupByDocument: true)).Count);
        string retired = inFlight.Directory!;
        Assert.True(Directory.Exists(retired));
        inFlight.Release();
        Assert.False(Directory.Exists(retired));

        var generations = await Engine.Indexes.GenerationsAsync("c", CancellationToken.None);
        Assert.Equal([(1, GenerationState.Retired), (2, GenerationState.Serving)], generations.Select(g => (g.Id, g.State)));
        // Every document written before or during the reindex is in the new generation.
        long documents = (await Engine.Store.GetCollectionAsync("c"))!.DocumentCount;
        var all = await SearchAsync(new SearchRequest("document", 1000, GroupByDocument: true));
        Assert.Equal(Math.Min(1000, documents), all.Hits.Count);
        var (_, third) = await Engine.Indexes.StartReindexAsync("c", CancellationToken.None);
        await Assert.ThrowsAsync<Indexing.Storage.ConflictException>(() => Engine.Indexes.StartReindexAsync("c", CancellationToken.None));
        Assert.Equal(3, (await third).Id);

        // The generation that serves survives a restart; the retired ones' files are gone.
        await Engine.DisposeAsync();
        var dirs = Directory.GetDirectories(Directory.GetDirectories(Path.Combine(Dir.Path, "index", "sqlite")).Single());
        Assert.Single(dirs);
        Engine = await OpenAsync();
        Assert.Equal(200, (await Engine.Search.SearchAsync("c", new SearchRequest("stable", 1000, GroupByDocument: true))).Hits.Count);
        Assert.Equal(3, (await Engine.Indexes.GenerationsAsync("c", CancellationToken.None)).Single().Id);
    }
}
