using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Search.Indexing.Ingestion;
using Search.Ranking;
using Search.Indexing.Embeddings;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>The real service on Kestrel at 127.0.0.1 serving the tiny-bert fixture model, given by
/// <see cref="EngineOptions.EmbeddingModelPath"/> as a deployment would; shared by a test class.</summary>
public sealed class EmbeddingHost : IAsyncLifetime
{
    /// <summary>The tiny BERT fixture of the Models tests.</summary>
    public static string ModelDirectory { get; } = Path.Combine(RepoPaths.Root, "tests", "Models.Tests", "Fixtures", "tiny-bert");

    private readonly TempDirectory _dir = new();
    private WebApplication _app = null!;

    /// <summary>The engine behind the service.</summary>
    public SearchEngine Engine { get; private set; } = null!;

    /// <summary>The service's base address.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A client for the service's base address.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The generator the service serves, for direct comparison.</summary>
    public TransformerEmbeddingGenerator Generator => (TransformerEmbeddingGenerator)Engine.Embedders.Get("tiny-bert");

    public async Task InitializeAsync()
    {
        Engine = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = _dir.Path, EmbeddingModelPath = ModelDirectory, Ingestion = new IngestionOptions { Roots = IngestRoots.None } });
        _app = WebHost.Build(Engine, "http://127.0.0.1:0");
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Engine.DisposeAsync();
        _dir.Dispose();
    }
}
