using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Search.Service.Security;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>API keys through the real Kestrel: the master key, scoped keys, expiry, revocation, storage and rate limits.</summary>
public sealed class ApiKeyTests : IAsyncLifetime
{
    private const string MasterKey = "master-key-for-tests-0123456789";
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private ApiHost _host = null!;

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    public async Task InitializeAsync() => _host = await StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    private Task<ApiHost> StartAsync(int requestsPerSecond = 10_000) =>
        ApiHost.StartAsync(_dir.Path, new ServiceSecurityOptions { MasterKey = MasterKey, Clock = _clock, RequestsPerSecond = requestsPerSecond });

    private HttpRequestMessage Request(HttpMethod method, string path, string? key, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? key, object? body = null) =>
        await _host.Client.SendAsync(Request(method, path, key, body));

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, (await Json(response)).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    private async Task<(string Uid, string Key)> CreateKey(string[] actions, string[] collections, DateTimeOffset? expiresAt = null)
    {
        var response = await Send(HttpMethod.Post, "/keys", MasterKey, new { name = string.Join("+", actions), actions, collections, expiresAt });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var view = await Json(response);
        return (view.GetProperty("uid").GetString()!, view.GetProperty("key").GetString()!);
    }

    private async Task Seed()
    {
        foreach (string name in new[] { "alpha", "beta" })
        {
            Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "/collections", MasterKey, new { name })).StatusCode);
            var write = await Send(HttpMethod.Post, $"/collections/{name}/documents?wait=indexed", MasterKey, new { id = "d1", title = "Rivers", text = "The river floods in spring." });
            Assert.Equal(HttpStatusCode.Created, write.StatusCode);
        }
    }

    [Fact]
    public async Task Without_a_key_only_health_and_the_openapi_document_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/health", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/openapi/v1.json", null)).StatusCode);
        var refused = await Send(HttpMethod.Get, "/collections", null);
        await AssertProblem(refused, HttpStatusCode.Unauthorized, "Authorization: Bearer");
        Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        await AssertProblem(await Send(HttpMethod.Post, "/collections", null, new { name = "x" }), HttpStatusCode.Unauthorized, "API key");
        await AssertProblem(await Send(HttpMethod.Get, "/collections", "srch_not-a-key"), HttpStatusCode.Unauthorized, "not valid");
        // The OpenAI-compatible API refuses in OpenAI's shape, which its clients read.
        var openAi = await Send(HttpMethod.Post, "/v1/embeddings", null, new { input = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, openAi.StatusCode);
        var error = (await Json(openAi)).GetProperty("error");
        Assert.Contains("API key", error.GetProperty("message").GetString());
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_search_key_searches_but_cannot_write_delete_reindex_read_tasks_or_create_keys()
    {
        await Seed();
        var (_, search) = await CreateKey([ApiKeyActions.Search], ["*"]);
        var hits = await Json(await Send(HttpMethod.Get, "/collections/alpha/search?q=river", search));
        Assert.Equal("d1", hits.GetProperty("hits")[0].GetProperty("documentId").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/collections/alpha/documents/d1", search)).StatusCode);

        await AssertProblem(await Send(HttpMethod.Post, "/collections/alpha/documents", search, new { id = "d2", text = "x" }), HttpStatusCode.Forbidden, "documents.write");
        await AssertProblem(await Send(HttpMethod.Delete, "/collections/alpha/documents/d1", search), HttpStatusCode.Forbidden, "documents.write");
        await AssertProblem(await Send(HttpMethod.Delete, "/collections/alpha", search), HttpStatusCode.Forbidden, "admin");
        await AssertProblem(await Send(HttpMethod.Post, "/admin/collections/alpha/reindex", search), HttpStatusCode.Forbidden, "admin");
        await AssertProblem(await Send(HttpMethod.Get, "/tasks", search), HttpStatusCode.Forbidden, "tasks");
        await AssertProblem(await Send(HttpMethod.Post, "/keys", search, new { name = "mine", actions = new[] { "*" }, collections = new[] { "*" } }), HttpStatusCode.Forbidden, "keys");
        // Nothing was changed by the refused calls.
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/collections/alpha/documents/d1", MasterKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/collections/alpha", MasterKey)).StatusCode);
    }

    [Fact]
    public async Task A_key_scoped_to_collections_reaches_and_lists_only_those()
    {
        await Seed();
        var (_, key) = await CreateKey([ApiKeyActions.Search, ApiKeyActions.DocumentsWrite], ["al*"]);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/collections/alpha/search?q=river", key)).StatusCode);
        await AssertProblem(await Send(HttpMethod.Get, "/collections/beta/search?q=river", key), HttpStatusCode.Forbidden, "does not reach the collection 'beta'");
        await AssertProblem(await Send(HttpMethod.Post, "/collections/beta/documents", key, new { id = "x", text = "x" }), HttpStatusCode.Forbidden, "beta");
        var listed = await Json(await Send(HttpMethod.Get, "/collections", key));
        Assert.Equal(new[] { "alpha" }, listed.EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(2, (await Json(await Send(HttpMethod.Get, "/collections", MasterKey))).GetArrayLength());
    }

    [Fact]
    public async Task An_expired_key_and_a_revoked_key_are_refused()
    {
        await Seed();
        var (_, expiring) = await CreateKey([ApiKeyActions.Search], ["*"], _clock.Now.AddHours(1));
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/collections/alpha/search?q=river", expiring)).StatusCode);
        _clock.Now = _clock.Now.AddHours(2);
        await AssertProblem(await Send(HttpMethod.Get, "/collections/alpha/search?q=river", expiring), HttpStatusCode.Unauthorized, "expired");

        var (uid, revoked) = await CreateKey([ApiKeyActions.Search], ["*"]);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/collections/alpha/search?q=river", revoked)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Delete, $"/keys/{uid}", MasterKey)).StatusCode);
        await AssertProblem(await Send(HttpMethod.Get, "/collections/alpha/search?q=river", revoked), HttpStatusCode.Unauthorized, "not valid");
        await AssertProblem(await Send(HttpMethod.Delete, $"/keys/{uid}", MasterKey), HttpStatusCode.NotFound, uid);
    }

    [Fact]
    public async Task Keys_are_stored_hashed_and_survive_a_restart()
    {
        await Seed();
        var (uid, key) = await CreateKey([ApiKeyActions.Search], ["*"]);
        var listed = await Json(await Send(HttpMethod.Get, "/keys", MasterKey));
        Assert.Equal(uid, listed[0].GetProperty("uid").GetString());
        Assert.Equal(JsonValueKind.Null, listed[0].GetProperty("key").ValueKind); // shown once, at creation
        Assert.DoesNotContain(key, File.ReadAllText(Path.Combine(ApiHost.DataDirectory(_dir.Path), "api-keys.json")));

        await _host.DisposeAsync();
        _host = await StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/collections/alpha/search?q=river", key)).StatusCode);
    }

    [Fact]
    public async Task Bad_key_requests_are_refused_with_what_is_wrong()
    {
        await AssertProblem(await Send(HttpMethod.Post, "/keys", MasterKey, new { name = "k", actions = new[] { "fly" }, collections = new[] { "*" } }), HttpStatusCode.BadRequest, "unknown action 'fly'");
        await AssertProblem(await Send(HttpMethod.Post, "/keys", MasterKey, new { name = "k", actions = new[] { "search" } }), HttpStatusCode.BadRequest, "collections");
        await AssertProblem(await Send(HttpMethod.Post, "/keys", MasterKey, new { name = "k", actions = new[] { "search" }, collections = new[] { "*" }, expiresAt = _clock.Now.AddDays(-1) }),
            HttpStatusCode.BadRequest, "past");
    }

    [Fact]
    public async Task Each_key_is_rate_limited_with_a_problem_and_retry_after()
    {
        await _host.DisposeAsync();
        _host = await StartAsync(requestsPerSecond: 1);
        var (_, key) = await CreateKey([ApiKeyActions.Search], ["*"]);
        // A bucket of 2 refilled by 1 a second: of 200 back-to-back requests some must be refused unless each took over a second.
        HttpResponseMessage? refused = null;
        for (int i = 0; i < 200 && refused is null; i++)
        {
            var response = await Send(HttpMethod.Get, "/collections", key);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
        }
        Assert.NotNull(refused);
        await AssertProblem(refused, HttpStatusCode.TooManyRequests, "requests a second");
        Assert.NotNull(refused.Headers.RetryAfter);
        // Another key has its own bucket.
        var (_, other) = await CreateKey([ApiKeyActions.Search], ["*"]);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/collections", other)).StatusCode);
    }

    [Fact]
    public async Task Access_tells_any_valid_key_what_it_may_do_and_refuses_others()
    {
        var (_, reader) = await CreateKey(["search"], ["docs-*"], _clock.Now.AddDays(1));
        var mine = await Json(await Send(HttpMethod.Get, "/access", reader));
        Assert.Equal(("key", true), (mine.GetProperty("principal").GetString(), mine.GetProperty("keysRequired").GetBoolean()));
        Assert.Equal(["search"], mine.GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["docs-*"], mine.GetProperty("collections").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("master", (await Json(await Send(HttpMethod.Get, "/access", MasterKey))).GetProperty("principal").GetString());
        await AssertProblem(await Send(HttpMethod.Get, "/access", null), HttpStatusCode.Unauthorized, "API key");
        // The admin view of the ranker needs the admin action.
        await AssertProblem(await Send(HttpMethod.Get, "/admin/ranker", reader), HttpStatusCode.Forbidden, "may not do 'admin'");
        _clock.Now = _clock.Now.AddDays(2);
        await AssertProblem(await Send(HttpMethod.Get, "/access", reader), HttpStatusCode.Unauthorized, "expired");
        var ranker = await Json(await Send(HttpMethod.Get, "/admin/ranker", MasterKey));
        Assert.Equal("linear:default", ranker.GetProperty("name").GetString());
    }
}
