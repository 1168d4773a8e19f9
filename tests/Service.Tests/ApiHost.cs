using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Search.Indexing.Ingestion;
using Search.Ranking;
using Search.Service.Security;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>The real service on Kestrel at 127.0.0.1 with a free port and its own embedded store.</summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    /// <summary>The engine behind the service.</summary>
    public SearchEngine Engine { get; }

    /// <summary>A client for the service's base address.</summary>
    public HttpClient Client { get; }

    private ApiHost(WebApplication app, SearchEngine engine)
    {
        _app = app;
        Engine = engine;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The data directory of a service started over <paramref name="folder"/>.</summary>
    public static string DataDirectory(string folder) => Path.Combine(folder, ".data");

    /// <summary>
    /// Starts a service with its store in <paramref name="folder"/>/.data and <paramref name="folder"/> as its one ingest
    /// root (as <c>serve --ingest-root</c> sets it), with API keys when <paramref name="security"/> has a master key, and
    /// engine options changed by <paramref name="configure"/>.
    /// </summary>
    public static async Task<ApiHost> StartAsync(string folder, ServiceSecurityOptions? security = null, Action<ILoggingBuilder>? logging = null,
        Func<EngineOptions, EngineOptions>? configure = null)
    {
        string data = DataDirectory(folder);
        var options = new EngineOptions { DataDirectory = data, Ingestion = new IngestionOptions { Roots = IngestRoots.Of([folder], [data]) } };
        var engine = await SearchEngine.OpenAsync(configure is null ? options : configure(options));
        var app = WebHost.Build(engine, "http://127.0.0.1:0", security, logging);
        await app.StartAsync();
        return new ApiHost(app, engine);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Engine.DisposeAsync();
    }
}

/// <summary>A test class's service and data folder.</summary>
public abstract class ApiTestBase : IAsyncLifetime
{
    protected TempDirectory Dir { get; } = new();
    protected ApiHost Host { get; private set; } = null!;
    protected HttpClient Http => Host.Client;

    public async Task InitializeAsync() => Host = await ApiHost.StartAsync(Dir.Path);

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Dir.Dispose();
    }
}
