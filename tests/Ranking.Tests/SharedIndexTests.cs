using Search.Indexing.Pipeline;
using Search.TestSupport;

namespace Search.Ranking.Tests;

/// <summary>
/// Two processes over one data folder: the one that owns a collection's indexes maintains them, the other reads its
/// commits (and follows them), and takes the indexes over when the owner lets go.
/// </summary>
public sealed class SharedIndexTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<IReadOnlyList<string>> FindAsync(SearchEngine engine, string query) =>
        (await engine.Search.SearchAsync("c", new SearchRequest(query, 100, GroupByDocument: true))).Hits.Select(h => h.DocumentId).Order().ToList();

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        while (!await condition()) await Task.Delay(20);
    }

    [Fact]
    public async Task A_reader_follows_the_owners_commits_and_takes_over_when_it_lets_go()
    {
        var owner = await SearchEngine.OpenAsync(EngineTest.OnDemand(_dir.Path));
        await owner.Store.CreateCollectionAsync("c");
        for (int i = 0; i < 3; i++) await TestDocuments.AddAsync(owner, "d" + i, "shared text number n" + i);
        await owner.Indexes.CatchUpAsync("c", default);

        // A service started second finds the indexes owned: it serves their last commit and indexes nothing.
        var options = new EngineOptions { DataDirectory = _dir.Path, Indexing = new IndexingOptions { PollInterval = TimeSpan.FromMilliseconds(50) } };
        await using var follower = await SearchEngine.OpenAsync(options);
        await follower.Indexes.StartAsync(default);
        Assert.False(await follower.Indexes.OwnsAsync("c", default));
        Assert.Equal(["d0", "d1", "d2"], await FindAsync(follower, "shared"));
        // Its view of the collection counts what the owner's commit holds.
        var view = await follower.Collections.GetAsync("c", default);
        Assert.False(view.Index!.Owned);
        Assert.Equal((3L, 3L, 3L), (view.Segments, view.Index.Stages.Single(s => s.Name == LexicalStage.StageName).Documents,
            view.Index.Stages.Single(s => s.Name == LexicalStage.StageName).Segments));
        await Assert.ThrowsAsync<Indexing.Storage.ConflictException>(() => follower.Indexes.StartReindexAsync("c", default));

        // What the owner commits later, the reader picks up; what it only stores is not searchable there.
        await TestDocuments.AddAsync(owner, "d3", "shared text number n3");
        Assert.Equal(3, (await FindAsync(follower, "shared")).Count);
        await owner.Indexes.CatchUpAsync("c", default);
        await EventuallyAsync(async () => (await FindAsync(follower, "shared")).Count == 4);

        // The owner goes: the reader takes the indexes over and indexes new writes itself.
        await owner.DisposeAsync();
        await EventuallyAsync(() => follower.Indexes.OwnsAsync("c", default));
        await TestDocuments.AddAsync(follower, "d4", "shared text number n4");
        await follower.Indexes.WaitIndexedAsync("c", await follower.Store.GetLastChangeAsync("c"), default);
        Assert.Equal(["d0", "d1", "d2", "d3", "d4"], await FindAsync(follower, "shared"));
    }
}
