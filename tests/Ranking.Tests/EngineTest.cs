using Search.Indexing.Dense;
using Search.Indexing.Pipeline;
using Search.TestSupport;

namespace Search.Ranking.Tests;

/// <summary>
/// A test with its own engine on a temporary data directory and an empty collection "c". The engine indexes on
/// demand and commits every step, so a test says exactly when the pipeline runs (<see cref="IndexAsync"/>) and
/// every step is a checkpoint; a test may reopen <see cref="Engine"/> to simulate a restart.
/// </summary>
public abstract class EngineTest : IAsyncLifetime
{
    protected TempDirectory Dir { get; } = new();
    protected SearchEngine Engine { get; set; } = null!;

    /// <summary>The options tests open engines with: on demand, a checkpoint after every step, dense vectors learned from each collection (fast, and what these tests measure).</summary>
    public static EngineOptions OnDemand(string dataDirectory) => new()
    {
        DataDirectory = dataDirectory,
        DefaultEmbedder = Indexing.Embeddings.EmbedderRegistry.Corpus,
        Indexing = new IndexingOptions { Mode = IndexingMode.OnDemand, LexicalCommitInterval = TimeSpan.Zero, DenseCommitInterval = TimeSpan.Zero },
    };

    /// <summary>Opens the engine over the test's folder.</summary>
    protected Task<SearchEngine> OpenAsync() => SearchEngine.OpenAsync(OnDemand(Dir.Path));

    public async Task InitializeAsync()
    {
        Engine = await OpenAsync();
        await Engine.Store.CreateCollectionAsync("c");
    }

    public async Task DisposeAsync()
    {
        await Engine.DisposeAsync();
        Dir.Dispose();
    }

    /// <summary>Runs the collection's indexing pipeline through everything stored.</summary>
    protected Task IndexAsync(string collection = "c") => Engine.Indexes.CatchUpAsync(collection, CancellationToken.None);

    /// <summary>Indexes, then searches.</summary>
    protected async Task<SearchResponse> SearchAsync(SearchRequest request, string collection = "c")
    {
        await IndexAsync(collection);
        return await Engine.Search.SearchAsync(collection, request);
    }

    /// <summary>Indexes, then returns the serving generation's dense index.</summary>
    protected async Task<DenseCollectionIndex> DenseAsync()
    {
        await IndexAsync();
        return (await ServingAsync(g => g.Dense))!;
    }

    /// <summary>Reads something of the serving generation under a reference.</summary>
    protected async Task<T> ServingAsync<T>(Func<IndexGeneration, T> read)
    {
        var generation = await Engine.Indexes.AcquireAsync("c", CancellationToken.None);
        try { return read(generation); }
        finally { generation.Release(); }
    }
}
