using System.Text;
using System.Text.Json;
using Search.Indexing.Extraction;
using Search.Indexing.Ingestion;
using Search.Indexing.Storage;
using Search.Ranking;
using Search.Indexing.Dense;
using Search.Indexing.Pipeline;
using Search.Ranking.Collections;
using Search.Service.Security;

namespace Search.Service;

/// <summary>The REST surface: collections, documents, search, bulk tasks, admin and health. Each handler reads the request and calls one engine service.</summary>
public static class Endpoints
{
    /// <summary>Maps every endpoint.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/health", async (SearchEngine engine, CancellationToken ct) =>
        {
            var (store, schemaVersion) = await engine.HealthAsync(ct);
            return Results.Ok(new HealthView("ok", store, schemaVersion));
        }).Public().DocumentedPublic("health", "Whether the service and its store answer").Produces<HealthView>();

        var collections = app.MapGroup("/collections");
        collections.MapPost("", async (CreateCollectionRequest? body, SearchEngine engine, CancellationToken ct) =>
        {
            var created = await engine.Collections.CreateAsync(body?.Name, body?.Embedder, ct);
            return Results.Created($"/collections/{created.Name}", created);
        }).Requires(ApiKeyActions.Admin).Documented("createCollection", "Create a collection", 400, 409).Produces<CollectionView>(StatusCodes.Status201Created);
        collections.MapPatch("/{name}", async (string name, UpdateCollectionRequest? body, SearchEngine engine, IHostApplicationLifetime lifetime, ILogger<TaskWorker> log, CancellationToken ct) =>
        {
            // The new vectors are built as the next generation; it stops with the service, not with this request.
            var (started, completion) = await engine.Collections.ChangeEmbedderAsync(name, body?.Embedder, lifetime.ApplicationStopping);
            _ = completion.ContinueWith(t => log.LogError(t.Exception, "Rebuilding {Collection} with a new embedder failed", name), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return Results.Accepted($"/admin/collections/{name}/generations", started);
        }).Requires(ApiKeyActions.Admin).Documented("changeEmbedder", "Change a collection's embedder (rebuilds its vectors as a new generation)", 400, 404, 409)
            .Produces<GenerationInfo>(StatusCodes.Status202Accepted);
        collections.MapGet("", async (HttpContext context, SearchEngine engine, CancellationToken ct) =>
        {
            // A key scoped to some collections lists only those.
            var all = await engine.Collections.ListAsync(ct);
            return Results.Ok(AccessControl.KeyOf(context) is { } key ? all.Where(c => key.Reaches(c.Name)).ToList() : all);
        }).Requires(ApiKeyActions.Search).Documented("listCollections", "List collections (those the key reaches)").Produces<List<CollectionView>>();
        collections.MapGet("/{name}", async (string name, SearchEngine engine, CancellationToken ct) => Results.Ok(await engine.Collections.GetAsync(name, ct)))
            .Requires(ApiKeyActions.Search).Documented("getCollection", "A collection with what each indexing stage has made searchable", 404).Produces<CollectionView>();
        collections.MapDelete("/{name}", async (string name, SearchEngine engine, CancellationToken ct) =>
        {
            await engine.Collections.DeleteAsync(name, ct);
            return Results.NoContent();
        }).Requires(ApiKeyActions.Admin).Documented("deleteCollection", "Delete a collection, its documents and indexes", 404).Produces(StatusCodes.Status204NoContent);

        collections.MapPost("/{name}/documents", PostJsonDocument).Requires(ApiKeyActions.DocumentsWrite)
            .Documented("putDocument", "Add or replace a document given as JSON", 400, 404, 413, 415, 422)
            .Body(("application/json", typeof(DocumentBody))).Produces<WriteView>(StatusCodes.Status201Created).Produces<WriteView>();
        collections.MapPost("/{name}/documents/upload", UploadDocument).DisableAntiforgery().Requires(ApiKeyActions.DocumentsWrite)
            .Documented("uploadDocument", "Add or replace a document from a file (txt, md, html, docx, pdf, vtt, srt, json)", 400, 404, 413, 415, 422)
            .Body(("multipart/form-data", typeof(UploadForm))).Produces<WriteView>(StatusCodes.Status201Created).Produces<WriteView>();
        collections.MapGet("/{name}/documents", async (string name, int? offset, int? limit, SearchEngine engine, CancellationToken ct) =>
        {
            var page = await engine.Documents.ListAsync(name, offset ?? 0, limit ?? 100, ct);
            var views = new List<DocumentView>(page.Count);
            foreach (var d in page) views.Add(DocumentView.From(d));
            return Results.Ok(views);
        }).Requires(ApiKeyActions.Search).Documented("listDocuments", "A page of a collection's documents", 400, 404).Produces<List<DocumentView>>();
        collections.MapGet("/{name}/documents/{**id}", async (string name, string id, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(DocumentWithSegmentsView.From(await engine.Documents.GetAsync(name, DecodeSlashes(id), ct)))).Requires(ApiKeyActions.Search)
            .Documented("getDocument", "A document with its segments in order", 404).Produces<DocumentWithSegmentsView>();
        collections.MapDelete("/{name}/documents/{**id}", async (string name, string id, string? wait, SearchEngine engine, CancellationToken ct) =>
        {
            await engine.Documents.DeleteAsync(name, DecodeSlashes(id), WaitIndexed(wait), ct);
            return Results.NoContent();
        }).Requires(ApiKeyActions.DocumentsWrite).Documented("deleteDocument", "Delete a document", 400, 404).Produces(StatusCodes.Status204NoContent);

        collections.MapGet("/{name}/search", async (string name, string? q, int? k, string? mode, string? group, string[]? filter, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(await engine.Search.SearchAsync(name, MakeRequest(q, k, mode, group, SearchFilters.Parse(filter)), ct))).Requires(ApiKeyActions.Search)
            .Documented("search", "Search a collection (query parameters)", 400, 404).Produces<SearchResponse>();
        collections.MapPost("/{name}/search", async (string name, SearchBody body, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(await engine.Search.SearchAsync(name, MakeRequest(body.Q, body.K, body.Mode, body.Group, body.Filters), ct))).Requires(ApiKeyActions.Search)
            .Documented("searchWithBody", "Search a collection (JSON body)", 400, 404).Produces<SearchResponse>();

        collections.MapPost("/{name}/bulk", PostBulk).Requires(ApiKeyActions.DocumentsWrite)
            .Documented("bulk", "Queue a bulk task: server paths below the ingest roots (JSON), or documents as NDJSON", 400, 404, 413, 415)
            .Body(("application/json", typeof(BulkPathsRequest)), ("application/x-ndjson", typeof(DocumentBody))).Produces<IngestTask>(StatusCodes.Status202Accepted).Produces<TaskView>();

        var admin = app.MapGroup("/admin/collections").Requires(ApiKeyActions.Admin);
        admin.MapPost("/{name}/reindex", async (string name, SearchEngine engine, IHostApplicationLifetime lifetime, ILogger<TaskWorker> log, CancellationToken ct) =>
        {
            // The build outlives this request: it stops with the service, not with the client.
            var (started, completion) = await engine.Indexes.StartReindexAsync(name, lifetime.ApplicationStopping);
            _ = completion.ContinueWith(t => log.LogError(t.Exception, "Reindex of {Collection} failed", name), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return Results.Accepted($"/admin/collections/{name}/generations", started);
        }).Documented("reindex", "Rebuild a collection's indexes as a new generation while the current one serves", 404, 409).Produces<GenerationInfo>(StatusCodes.Status202Accepted);
        admin.MapGet("/{name}/generations", async (string name, SearchEngine engine, CancellationToken ct) => Results.Ok(await engine.Indexes.GenerationsAsync(name, ct)))
            .Documented("generations", "A collection's index generations", 404).Produces<List<GenerationInfo>>();
        admin.MapGet("/{name}/dense", async (string name, SearchEngine engine, CancellationToken ct) => Results.Ok(await engine.Indexes.DenseStatusAsync(name, ct)))
            .Documented("denseStatus", "The dense side of a collection: embedder, runtime, vectors", 404).Produces<DenseStatus>();

        app.MapGet("/admin/ranker", (SearchEngine engine) => Results.Ok(RankerView.From(engine.Search)))
            .Requires(ApiKeyActions.Admin).Documented("ranker", "The ranker of ranked searches: what it is, its depth and time limit").Produces<RankerView>();

        var tasks = app.MapGroup("/tasks").Requires(ApiKeyActions.Tasks);
        tasks.MapGet("", async (int? limit, SearchEngine engine, CancellationToken ct) => Results.Ok(await engine.Tasks.ListAsync(limit ?? 50, ct)))
            .Documented("listTasks", "The most recent bulk tasks", 400).Produces<List<IngestTask>>();
        tasks.MapGet("/{id}", async (string id, string? wait, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(WaitIndexed(wait) ? await engine.Tasks.WaitIndexedAsync(id, ct) : await engine.Tasks.GetAsync(id, ct)))
            .Documented("getTask", "A task with its errors and searchable counts (wait=indexed waits until searchable)", 400, 404).Produces<TaskView>();
        tasks.MapPost("/{id}/cancel", async (string id, SearchEngine engine, CancellationToken ct) =>
            Results.Accepted($"/tasks/{id}", await engine.Tasks.CancelAsync(id, ct)))
            .Documented("cancelTask", "Cancel a task (it stops at its next item)", 404).Produces<IngestTask>(StatusCodes.Status202Accepted);

        EmbeddingEndpoints.Map(app);
        KeyEndpoints.Map(app);
        AccessEndpoints.Map(app);
        ConsoleEndpoints.Map(app);
    }

    /// <summary>
    /// Caps this request's body at a limit plus room for JSON's quoting: Kestrel answers 413 past it instead of the
    /// service buffering whatever it is sent.
    /// </summary>
    private static void LimitBody(HttpRequest request, long maxBytes, string what, string advice)
    {
        long limit = maxBytes + maxBytes / 4 + 65536;
        if (request.ContentLength > limit)
            throw new BadHttpRequestException($"the body is {request.ContentLength / 1048576.0:0.0} MiB; {what} may be at most {maxBytes / 1048576.0:0.#} MiB ({advice})", StatusCodes.Status413PayloadTooLarge);
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit;
    }

    /// <summary>Parses a JSON body; malformed JSON or invalid UTF-8 is the caller's mistake (400), named as such.</summary>
    private static async Task<JsonDocument> ParseJsonAsync(Stream body, CancellationToken ct)
    {
        try
        {
            return await JsonDocument.ParseAsync(body, default, ct);
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException($"the body is not valid JSON: {e.Message}", StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>Kestrel decodes a path except for %2F, so an id sent with an escaped slash arrives with it still escaped.</summary>
    private static string DecodeSlashes(string id) => id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>?wait=indexed</c>: answer once the write is searchable.</summary>
    private static bool WaitIndexed(string? wait) => wait switch
    {
        null or "" => false,
        "indexed" => true,
        _ => throw new ArgumentException("wait must be 'indexed'"),
    };

    private static SearchRequest MakeRequest(string? q, int? k, string? mode, string? group, IReadOnlyDictionary<string, string>? filters)
    {
        bool byDocument = group switch
        {
            null or "" or "segment" => false,
            "document" => true,
            _ => throw new ArgumentException("group must be 'segment' or 'document'"),
        };
        return new SearchRequest(q ?? "", k ?? 10, byDocument, filters, string.IsNullOrEmpty(mode) ? SearchModes.Bm25 : mode);
    }

    private static async Task<IResult> PostJsonDocument(string name, string? wait, HttpRequest request, SearchEngine engine, CancellationToken ct)
    {
        if (!request.HasJsonContentType()) throw new BadHttpRequestException("send the document as application/json, or a file to /documents/upload", StatusCodes.Status415UnsupportedMediaType);
        LimitBody(request, engine.Options.Ingestion.MaxDocumentBytes, "one document", "split it into several documents");
        using var doc = await ParseJsonAsync(request.Body, ct);
        var input = JsonDocumentReader.Read(doc.RootElement, "document", "untitled");
        return WriteResult(await engine.Documents.WriteAsync(name, input, WaitIndexed(wait), ct));
    }

    private static async Task<IResult> UploadDocument(string name, string? wait, HttpRequest request, SearchEngine engine, CancellationToken ct)
    {
        if (!request.HasFormContentType) throw new BadHttpRequestException("upload the file as multipart/form-data with a 'file' field", StatusCodes.Status415UnsupportedMediaType);
        var form = await request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file") ?? throw new ArgumentException("the form has no 'file' field");
        string fileName = Path.GetFileName(file.FileName);
        if (string.IsNullOrEmpty(fileName)) throw new ArgumentException("the uploaded file has no name; its extension decides the format");
        if (file.Length > engine.Options.Ingestion.MaxDocumentBytes)
            throw new ExtractionException($"{fileName}: {file.Length / 1048576.0:0.0} MiB is over the {engine.Options.Ingestion.MaxDocumentBytes / 1048576.0:0.#} MiB limit for one document");
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, ct);
        string? id = form["id"].FirstOrDefault();
        var fields = new IngestionPipeline.UploadFields(string.IsNullOrEmpty(id) ? null : id, !string.IsNullOrEmpty(id), form["title"].FirstOrDefault(), form["metadata"].FirstOrDefault());
        return WriteResult(await engine.Documents.UploadAsync(name, fileName, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), fields, WaitIndexed(wait), ct));
    }

    private static IResult WriteResult(IngestOutcome outcome)
    {
        var view = new WriteView(outcome.Outcome.ToString().ToLowerInvariant(), DocumentView.From(outcome.Document), outcome.Sequence);
        string location = $"/collections/{outcome.Document.Collection}/documents/{Uri.EscapeDataString(outcome.ExternalId)}";
        return outcome.Outcome == WriteOutcome.Created ? Results.Created(location, view) : Results.Ok(view);
    }

    private static async Task<IResult> PostBulk(string name, string? wait, HttpRequest request, SearchEngine engine, CancellationToken ct)
    {
        bool waitIndexed = WaitIndexed(wait);
        await engine.Collections.RequireAsync(name, ct);
        LimitBody(request, engine.Options.Ingestion.MaxBulkBodyBytes, "one bulk request", "split the documents over several bulk requests");
        IngestTask task;
        string contentType = request.ContentType ?? "";
        if (contentType.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) || contentType.StartsWith("application/jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var lines = new List<string>();
            using var reader = new StreamReader(request.Body, new UTF8Encoding(false, true));
            int lineNumber = 0;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                lineNumber++;
                if (line.Length > engine.Options.Ingestion.MaxDocumentBytes) throw new ArgumentException($"line {lineNumber} is over the size limit for one document");
                if (!string.IsNullOrWhiteSpace(line)) lines.Add(line);
            }
            task = await engine.Tasks.QueueDocumentsAsync(name, lines, ct);
        }
        else if (request.HasJsonContentType())
        {
            var body = await request.ReadFromJsonAsync<BulkPathsRequest>(ct);
            if (body?.Paths is not { Count: > 0 } paths) throw new ArgumentException("name the files in 'paths' (files, directories or globs on the server)");
            task = await engine.Tasks.QueuePathsAsync(name, paths, ct);
        }
        else
        {
            throw new BadHttpRequestException("send application/json {\"paths\": [...]} or an application/x-ndjson body of documents", StatusCodes.Status415UnsupportedMediaType);
        }
        return waitIndexed ? Results.Ok(await engine.Tasks.WaitIndexedAsync(task.Id, ct)) : Results.Accepted($"/tasks/{task.Id}", task);
    }
}
