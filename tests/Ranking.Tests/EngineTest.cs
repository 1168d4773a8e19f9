using Search.TestSupport;

namespace Search.Ranking.Tests;

/// <summary>A test with its own engine on a temporary data directory and an empty collection "c"; a test may reopen <see cref="Engine"/> to simulate a restart.</summary>
public abstract class EngineTest : IAsyncLifetime
{
    protected TempDirectory Dir { get; } = new();
    protected SearchEngine Engine { get; set; } = null!;

    public async Task InitializeAsync()
    {
        Engine = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = Dir.Path });
        await Engine.Store.CreateCollectionAsync("c");
    }

    public async Task DisposeAsync()
    {
        await Engine.DisposeAsync();
        Dir.Dispose();
    }
}
