using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Search.Client;

/// <summary>
/// A typed async client for the Search REST API. Problems become typed exceptions carrying the service's detail;
/// 429 and 5xx answers (and dropped connections) are retried with exponential backoff, honouring Retry-After, for
/// requests that are safe to repeat; every call takes a cancellation token.
/// </summary>
public sealed class SearchClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A client for the service at <paramref name="baseAddress"/>, with an API key when it requires one.</summary>
    public SearchClient(Uri baseAddress, string? apiKey = null, SearchClientOptions? options = null)
        : this(new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) }, apiKey, options, ownsHttp: true) { }

    /// <summary>A client over a configured <see cref="HttpClient"/> (its BaseAddress set), which the caller keeps.</summary>
    public SearchClient(HttpClient http, string? apiKey = null, SearchClientOptions? options = null) : this(http, apiKey, options, ownsHttp: false) { }

    private SearchClient(HttpClient http, string? apiKey, SearchClientOptions? options, bool ownsHttp)
    {
        if (http.BaseAddress is null) throw new ArgumentException("The HttpClient needs a BaseAddress.", nameof(http));
        _http = http;
        _ownsHttp = ownsHttp;
        ApiKey = apiKey;
        Options = options ?? new SearchClientOptions();
    }

    /// <summary>The service's address, which relative links (a passage's citation) start from.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>The key sent as a bearer token, if any.</summary>
    public string? ApiKey { get; }

    /// <summary>Retries and backoff.</summary>
    public SearchClientOptions Options { get; }

    /// <summary>Creates a collection.</summary>
    public Task<Collection> CreateCollectionAsync(string name, string? embedder = null, CancellationToken ct = default) =>
        SendAsync<Collection>(HttpMethod.Post, "collections", new { name, embedder }, idempotent: false, ct);

    /// <summary>The collections the key reaches.</summary>
    public Task<IReadOnlyList<Collection>> ListCollectionsAsync(CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<Collection>>(HttpMethod.Get, "collections", null, idempotent: true, ct);

    /// <summary>One collection.</summary>
    public Task<Collection> GetCollectionAsync(string name, CancellationToken ct = default) =>
        SendAsync<Collection>(HttpMethod.Get, $"collections/{Escape(name)}", null, idempotent: true, ct);

    /// <summary>Deletes a collection with its documents and indexes.</summary>
    public Task DeleteCollectionAsync(string name, CancellationToken ct = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"collections/{Escape(name)}", null, idempotent: true, ct);

    /// <summary>Adds or replaces a document; with <paramref name="waitIndexed"/> it answers once the document is searchable.</summary>
    public Task<WriteResult> PutDocumentAsync(string collection, DocumentInput document, bool waitIndexed = false, CancellationToken ct = default) =>
        // Writing the same document again changes nothing, so a retried write is safe.
        SendAsync<WriteResult>(HttpMethod.Post, $"collections/{Escape(collection)}/documents{Wait(waitIndexed)}", document, idempotent: document.Id is not null, ct);

    /// <summary>Uploads a file (its extension decides the format).</summary>
    public async Task<WriteResult> UploadAsync(string collection, string fileName, Stream content, string? id = null, bool waitIndexed = false, CancellationToken ct = default)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct);
        return await SendAsync<WriteResult>(HttpMethod.Post, $"collections/{Escape(collection)}/documents/upload{Wait(waitIndexed)}", null, idempotent: id is not null, ct, () =>
        {
            var form = new MultipartFormDataContent { { new ByteArrayContent(buffer.ToArray()), "file", fileName } };
            if (id is not null) form.Add(new StringContent(id), "id");
            return form;
        });
    }

    /// <summary>A stored document.</summary>
    public Task<Document> GetDocumentAsync(string collection, string id, CancellationToken ct = default) =>
        GetDocumentCoreAsync(collection, id, ct);

    /// <summary>Deletes a document.</summary>
    public Task DeleteDocumentAsync(string collection, string id, bool waitIndexed = false, CancellationToken ct = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"collections/{Escape(collection)}/documents/{Escape(id)}{Wait(waitIndexed)}", null, idempotent: true, ct);

    /// <summary>Searches a collection.</summary>
    public Task<SearchResult> SearchAsync(string collection, SearchQuery query, CancellationToken ct = default) =>
        SendAsync<SearchResult>(HttpMethod.Post, $"collections/{Escape(collection)}/search",
            new { q = query.Q, k = query.K, mode = query.Mode, group = query.ByDocument ? "document" : null, filters = query.Filters }, idempotent: true, ct);

    /// <summary>
    /// Waits until every change the collection had stored when called is searchable through every indexing stage
    /// (stages apply changes in order, so everything written before is then searchable too).
    /// </summary>
    /// <exception cref="InvalidOperationException">A stage keeps failing (the same error for <see cref="SearchClientOptions.MaxRetries"/> + 1 looks in a row).</exception>
    public async Task WaitIndexedAsync(string collection, CancellationToken ct = default)
    {
        long target = (await GetCollectionAsync(collection, ct)).LatestChange;
        int failing = 0;
        while (true)
        {
            var view = await GetCollectionAsync(collection, ct);
            if (view.Index is { } index)
            {
                if (index.Stages.All(s => s.Sequence >= target)) return;
                // A stage that reports an error does not advance; the service retries it, so only a lasting error ends the wait.
                var broken = index.Stages.FirstOrDefault(s => s.Error is not null && s.Sequence < target);
                failing = broken is null ? 0 : failing + 1;
                if (broken is not null && failing > Options.MaxRetries)
                    throw new InvalidOperationException($"the {broken.Name} stage of '{collection}' keeps failing: {broken.Error}");
            }
            await Task.Delay(Options.Backoff(Math.Min(failing, 4), null), ct);
        }
    }

    /// <summary>Queues documents as one bulk task (NDJSON); returns the task to follow.</summary>
    public Task<BulkTask> BulkAsync(string collection, IEnumerable<DocumentInput> documents, CancellationToken ct = default)
    {
        var lines = new StringBuilder();
        foreach (var document in documents) lines.Append(JsonSerializer.Serialize(document, Json)).Append('\n');
        return BulkLinesAsync(collection, Encoding.UTF8.GetBytes(lines.ToString()), ct);
    }

    /// <summary>Queues JSON lines as they are (a BEIR <c>corpus.jsonl</c>, or documents one per line) as one bulk task.</summary>
    public Task<BulkTask> BulkLinesAsync(string collection, ReadOnlyMemory<byte> ndjson, CancellationToken ct = default) =>
        SendAsync<BulkTask>(HttpMethod.Post, $"collections/{Escape(collection)}/bulk", null, idempotent: false, ct, () =>
        {
            var content = new ReadOnlyMemoryContent(ndjson);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson") { CharSet = "utf-8" };
            return content;
        });

    /// <summary>A task; with <paramref name="waitIndexed"/> it answers once the task is finished and searchable.</summary>
    public async Task<BulkTask> GetTaskAsync(string id, bool waitIndexed = false, CancellationToken ct = default) =>
        (await GetTaskDetailsAsync(id, waitIndexed, ct)).Task;

    /// <summary>A task with its failed items and what of it is searchable.</summary>
    public Task<TaskDetails> GetTaskDetailsAsync(string id, bool waitIndexed = false, CancellationToken ct = default) =>
        SendAsync<TaskDetails>(HttpMethod.Get, $"tasks/{Escape(id)}{Wait(waitIndexed)}", null, idempotent: true, ct);

    /// <summary>The most recent tasks, newest first.</summary>
    public Task<IReadOnlyList<BulkTask>> ListTasksAsync(int limit = 50, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<BulkTask>>(HttpMethod.Get, $"tasks?limit={limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}", null, idempotent: true, ct);

    /// <summary>Asks a task to stop at its next item.</summary>
    public Task<BulkTask> CancelTaskAsync(string id, CancellationToken ct = default) =>
        SendAsync<BulkTask>(HttpMethod.Post, $"tasks/{Escape(id)}/cancel", null, idempotent: true, ct);

    /// <summary>Creates an API key (the answer holds the key, once).</summary>
    public Task<ApiKey> CreateKeyAsync(string name, IReadOnlyList<string> actions, IReadOnlyList<string> collections, DateTimeOffset? expiresAt = null, CancellationToken ct = default) =>
        SendAsync<ApiKey>(HttpMethod.Post, "keys", new { name, actions, collections, expiresAt }, idempotent: false, ct);

    /// <summary>Revokes an API key.</summary>
    public Task DeleteKeyAsync(string uid, CancellationToken ct = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"keys/{Escape(uid)}", null, idempotent: true, ct);

    /// <summary>Starts a reindex: the next generation is built while the current one serves; returns the generation building.</summary>
    public Task<Generation> ReindexAsync(string collection, CancellationToken ct = default) =>
        SendAsync<Generation>(HttpMethod.Post, $"admin/collections/{Escape(collection)}/reindex", null, idempotent: false, ct);

    /// <summary>A collection's index generations.</summary>
    public Task<IReadOnlyList<Generation>> GenerationsAsync(string collection, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<Generation>>(HttpMethod.Get, $"admin/collections/{Escape(collection)}/generations", null, idempotent: true, ct);

    private async Task<Document> GetDocumentCoreAsync(string collection, string id, CancellationToken ct) =>
        (await SendAsync<DocumentEnvelope>(HttpMethod.Get, $"collections/{Escape(collection)}/documents/{Escape(id)}", null, idempotent: true, ct)).Document;

    private sealed record DocumentEnvelope(Document Document);

    private static string Wait(bool waitIndexed) => waitIndexed ? "?wait=indexed" : "";

    // Ids may hold slashes; the service reads %2F back as one.
    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, bool idempotent, CancellationToken ct, Func<HttpContent>? content = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (ApiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            if (content is not null) request.Content = content();
            else if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, ct);
            }
            catch (HttpRequestException) when (idempotent && attempt < Options.MaxRetries)
            {
                await Task.Delay(Options.Backoff(attempt, null), ct);
                continue;
            }
            using (response)
            {
                bool retryable = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
                // A 429 means the request was not carried out, so any request may be repeated; a 5xx only when repeating it is safe.
                if (retryable && attempt < Options.MaxRetries && (idempotent || response.StatusCode == HttpStatusCode.TooManyRequests))
                {
                    await Task.Delay(Options.Backoff(attempt, response.Headers.RetryAfter?.Delta), ct);
                    continue;
                }
                if (!response.IsSuccessStatusCode) throw await ProblemAsync(response, ct);
                if (response.StatusCode == HttpStatusCode.NoContent || typeof(T) == typeof(JsonElement?)) return default!;
                return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
            }
        }
    }

    private static async Task<SearchApiException> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string title = response.ReasonPhrase ?? "", detail = "";
        string text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.TryGetProperty("detail", out var d)) detail = d.GetString() ?? "";
            if (root.TryGetProperty("title", out var t)) title = t.GetString() ?? title;
            if (root.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m)) detail = m.GetString() ?? "";
        }
        catch (JsonException)
        {
            detail = text;
        }
        var status = response.StatusCode;
        return status switch
        {
            HttpStatusCode.NotFound => new SearchNotFoundException(title, detail),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new SearchAccessException(status, title, detail),
            _ when (int)status is >= 400 and < 500 => new SearchRequestException(status, title, detail),
            _ => new SearchApiException(status, title, detail),
        };
    }

    /// <summary>Disposes the HttpClient when this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}

/// <summary>How a <see cref="SearchClient"/> retries: attempts after the first, and the backoff between them.</summary>
public sealed record SearchClientOptions
{
    /// <summary>Retries after the first attempt (429, 5xx, dropped connections).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first wait; each retry doubles it.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before retry <paramref name="attempt"/>: the server's Retry-After when it gave one, else doubling with jitter.</summary>
    public TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } after) return after < MaxBackoff ? after : MaxBackoff;
        double ms = InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt) * (0.75 + Random.Shared.NextDouble() * 0.5);
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxBackoff.TotalMilliseconds));
    }
}
