using System.Net;
using Search.Client;
using Search.Service.Security;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>The typed client against the real service: every call, problems as typed exceptions, retries on 429.</summary>
public sealed class SearchClientTests : IAsyncLifetime
{
    private const string MasterKey = "client-tests-master-key-0123456789";
    private readonly TempDirectory _dir = new();
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync(_dir.Path, new ServiceSecurityOptions { MasterKey = MasterKey, RequestsPerSecond = 1 });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    private SearchClient Client(string? key = MasterKey) => new(_host.Client.BaseAddress!, key, new SearchClientOptions { MaxRetries = 20, InitialBackoff = TimeSpan.FromMilliseconds(50) });

    [Fact]
    public async Task Collections_documents_search_bulk_and_tasks_round_trip()
    {
        using var client = Client();
        var created = await client.CreateCollectionAsync("notes");
        Assert.Equal("notes", created.Name);
        var write = await client.PutDocumentAsync("notes", new DocumentInput("a/1", "Rivers", "The river floods in spring.", new Dictionary<string, string> { ["kind"] = "nature" }), waitIndexed: true);
        Assert.Equal("created", write.Outcome);
        Assert.Equal("a/1", (await client.GetDocumentAsync("notes", "a/1")).Id);

        var hits = await client.SearchAsync("notes", new SearchQuery("river floods", Filters: new Dictionary<string, string> { ["kind"] = "nature" }));
        Assert.Equal("a/1", Assert.Single(hits.Hits).DocumentId);
        Assert.True(hits.Hits[0].Components.ContainsKey("bm25"));

        var task = await client.BulkAsync("notes", [new DocumentInput("b", "B", "beta lighthouse"), new DocumentInput("c", "C", "gamma lighthouse")]);
        var finished = await client.GetTaskAsync(task.Id, waitIndexed: true);
        Assert.Equal(("succeeded", 2), (finished.State, finished.Done));
        Assert.Equal(2, (await client.SearchAsync("notes", new SearchQuery("lighthouse"))).Hits.Count);
        Assert.Equal(3, (await client.GetCollectionAsync("notes")).Documents);

        await client.DeleteDocumentAsync("notes", "a/1", waitIndexed: true);
        var missing = await Assert.ThrowsAsync<SearchNotFoundException>(() => client.GetDocumentAsync("notes", "a/1"));
        Assert.Contains("a/1", missing.Detail);
    }

    [Fact]
    public async Task Problems_become_typed_exceptions_with_the_service_detail()
    {
        using var client = Client();
        var bad = await Assert.ThrowsAsync<SearchRequestException>(() => client.CreateCollectionAsync("bad name!"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("collection name", bad.Detail);

        await client.CreateCollectionAsync("docs");
        var key = await client.CreateKeyAsync("reader", [ApiKeyActions.Search], ["docs"]);
        using var reader = Client(key.Key);
        Assert.Empty((await reader.SearchAsync("docs", new SearchQuery("anything"))).Hits);
        var refused = await Assert.ThrowsAsync<SearchAccessException>(() => reader.PutDocumentAsync("docs", new DocumentInput("x", null, "text")));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("documents.write", refused.Detail);
        using var nobody = Client(key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Assert.ThrowsAsync<SearchAccessException>(() => nobody.ListCollectionsAsync())).Status);
    }

    [Fact]
    public async Task Rate_limited_calls_are_retried_after_the_server_wait_and_succeed()
    {
        using var client = Client();
        await client.CreateCollectionAsync("busy");
        // One request a second with bursts of two: the later calls are answered 429 first and succeed on retry.
        for (int i = 0; i < 6; i++) Assert.Equal("busy", (await client.GetCollectionAsync("busy")).Name);
    }

    [Fact]
    public async Task A_cancelled_call_stops()
    {
        using var client = Client();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ListCollectionsAsync(cancelled.Token));
    }
}
