using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Search.Indexing.Ingestion;
using Search.Indexing.Storage;
using Search.Ranking;

namespace Search.Api.Web;

/// <summary>The REST surface: collections, documents, search, bulk tasks and health.</summary>
public static partial class Endpoints
{
    private const int MaxTaskErrorsShown = 1000;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex CollectionName();

    /// <summary>Throws a 400 unless the name is 1–64 letters, digits, '_', '.', '-' starting with a letter or digit.</summary>
    public static string ValidateCollectionName(string? name)
    {
        if (string.IsNullOrEmpty(name) || !CollectionName().IsMatch(name))
            throw new ArgumentException("a collection name is 1 to 64 characters: letters, digits, '_', '.', '-', starting with a letter or digit");
        return name;
    }

    /// <summary>Maps every endpoint.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/health", async (SearchEngine engine, CancellationToken ct) =>
            Results.Ok(new { status = "ok", store = engine.Options.Store.ToString().ToLowerInvariant(), schemaVersion = await engine.Store.GetSchemaVersionAsync(ct) }));

        var collections = app.MapGroup("/collections");
        collections.MapPost("", async (CreateCollectionRequest? body, SearchEngine engine, CancellationToken ct) =>
        {
            string name = ValidateCollectionName(body?.Name);
            if (!await engine.Store.CreateCollectionAsync(name, ct)) throw new ConflictException($"collection '{name}' exists already");
            var c = await engine.Store.GetCollectionAsync(name, ct);
            return Results.Created($"/collections/{name}", CollectionView.From(c!));
        });
        collections.MapGet("", async (SearchEngine engine, CancellationToken ct) =>
            Results.Ok((await engine.Store.ListCollectionsAsync(ct)).Select(CollectionView.From)));
        collections.MapGet("/{name}", async (string name, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(CollectionView.From(await engine.Store.GetCollectionAsync(name, ct) ?? throw NoCollection(name))));
        collections.MapDelete("/{name}", async (string name, SearchEngine engine, CancellationToken ct) =>
        {
            if (!await engine.Store.DeleteCollectionAsync(name, ct)) throw NoCollection(name);
            engine.Indexes.Drop(name);
            return Results.NoContent();
        });

        collections.MapPost("/{name}/documents", PostJsonDocument);
        collections.MapPost("/{name}/documents/upload", UploadDocument).DisableAntiforgery();
        collections.MapGet("/{name}/documents", async (string name, int? offset, int? limit, SearchEngine engine, CancellationToken ct) =>
        {
            int o = offset ?? 0, l = limit ?? 100;
            if (o < 0 || l is < 1 or > 1000) throw new ArgumentException("offset must be >= 0 and limit between 1 and 1000");
            return Results.Ok((await engine.Store.ListDocumentsAsync(name, o, l, ct)).Select(DocumentView.From));
        });
        collections.MapGet("/{name}/documents/{**id}", async (string name, string id, SearchEngine engine, CancellationToken ct) =>
        {
            id = DecodeSlashes(id);
            var doc = await engine.Store.GetDocumentAsync(name, id, ct) ?? throw await MissingDocument(engine, name, id, ct);
            var segments = await engine.Store.GetSegmentsAsync([doc.Id], ct);
            return Results.Ok(new DocumentWithSegments(DocumentView.From(doc),
                segments.Select(s => new SegmentView(s.Ordinal, s.Text, s.StartChar, s.EndChar, s.SectionPath, s.StartSeconds, s.EndSeconds, s.Speaker, s.Chapter)).ToList()));
        });
        collections.MapDelete("/{name}/documents/{**id}", async (string name, string id, SearchEngine engine, CancellationToken ct) =>
            await engine.Store.DeleteDocumentAsync(name, DecodeSlashes(id), ct) ? Results.NoContent() : throw await MissingDocument(engine, name, DecodeSlashes(id), ct));

        collections.MapGet("/{name}/search", async (string name, string? q, int? k, string? mode, string? group, string[]? filter, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(await engine.Search.SearchAsync(name, MakeRequest(q, k, mode, group, ParseFilters(filter)), ct)));
        collections.MapPost("/{name}/search", async (string name, SearchBody body, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(await engine.Search.SearchAsync(name, MakeRequest(body.Q, body.K, body.Mode, body.Group, body.Filters), ct)));

        collections.MapPost("/{name}/bulk", PostBulk);

        var admin = app.MapGroup("/admin/collections");
        admin.MapPost("/{name}/reindex", async (string name, SearchEngine engine, IHostApplicationLifetime lifetime, ILogger<TaskWorker> log, CancellationToken ct) =>
        {
            var (started, completion) = await engine.Indexes.StartReindexAsync(name, lifetime.ApplicationStopping);
            _ = completion.ContinueWith(t => log.LogError(t.Exception, "Reindex of {Collection} failed", name), TaskContinuationOptions.OnlyOnFaulted);
            return Results.Accepted($"/admin/collections/{name}/generations", started);
        });
        admin.MapGet("/{name}/generations", async (string name, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(await engine.Indexes.GenerationsAsync(name, ct)));
        admin.MapGet("/{name}/dense", async (string name, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(await engine.Indexes.DenseStatusAsync(name, ct)));

        app.MapGet("/tasks", async (int? limit, SearchEngine engine, CancellationToken ct) =>
            Results.Ok(await engine.Store.ListTasksAsync(Math.Clamp(limit ?? 50, 1, 1000), ct)));
        app.MapGet("/tasks/{id}", async (string id, SearchEngine engine, CancellationToken ct) => Results.Ok(await GetTaskView(engine, id, ct)));
        app.MapPost("/tasks/{id}/cancel", async (string id, SearchEngine engine, CancellationToken ct) =>
        {
            var task = await engine.Store.GetTaskAsync(id, ct) ?? throw new NotFoundException($"task '{id}' does not exist");
            if (!await engine.Store.RequestCancelAsync(id, ct)) throw new ConflictException($"task '{id}' is {task.State.ToString().ToLowerInvariant()} and cannot be cancelled");
            return Results.Accepted($"/tasks/{id}", await engine.Store.GetTaskAsync(id, ct));
        });

        EmbeddingEndpoints.Map(app);
    }

    /// <summary>Kestrel decodes a path except for %2F, so an id sent with an escaped slash arrives with it still escaped.</summary>
    private static string DecodeSlashes(string id) => id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static NotFoundException NoCollection(string name) => new($"collection '{name}' does not exist");

    private static async Task<NotFoundException> MissingDocument(SearchEngine engine, string name, string id, CancellationToken ct) =>
        await engine.Store.GetCollectionAsync(name, ct) is null ? NoCollection(name) : new NotFoundException($"document '{id}' is not in collection '{name}'");

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

    private static Dictionary<string, string>? ParseFilters(string[]? filters)
    {
        if (filters is null || filters.Length == 0) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in filters)
        {
            int colon = f.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new ArgumentException($"filter '{f}' must be key:value");
            result[f[..colon]] = f[(colon + 1)..];
        }
        return result;
    }

    private static async Task<IResult> PostJsonDocument(string name, HttpRequest request, SearchEngine engine, CancellationToken ct)
    {
        if (!request.HasJsonContentType()) throw new BadHttpRequestException("send the document as application/json, or a file to /documents/upload", StatusCodes.Status415UnsupportedMediaType);
        using var doc = await JsonDocument.ParseAsync(request.Body, default, ct);
        var input = Indexing.Extraction.JsonDocumentReader.Read(doc.RootElement, "document", "untitled");
        var outcome = await engine.Ingestion.IngestJsonAsync(name, input, explicitId: input.Id is not null, ct);
        return WriteResult(outcome);
    }

    private static async Task<IResult> UploadDocument(string name, HttpRequest request, SearchEngine engine, CancellationToken ct)
    {
        if (!request.HasFormContentType) throw new BadHttpRequestException("upload the file as multipart/form-data with a 'file' field", StatusCodes.Status415UnsupportedMediaType);
        var form = await request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file") ?? throw new ArgumentException("the form has no 'file' field");
        string fileName = Path.GetFileName(file.FileName);
        if (string.IsNullOrEmpty(fileName)) throw new ArgumentException("the uploaded file has no name; its extension decides the format");
        if (file.Length > engine.Options.Ingestion.MaxDocumentBytes)
            throw new Indexing.Extraction.ExtractionException($"{fileName}: {file.Length / 1048576.0:0.0} MiB is over the {engine.Options.Ingestion.MaxDocumentBytes / 1048576.0:0.#} MiB limit for one document");
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, ct);
        string? id = form["id"].FirstOrDefault();
        var fields = new IngestionPipeline.UploadFields(string.IsNullOrEmpty(id) ? null : id, !string.IsNullOrEmpty(id), form["title"].FirstOrDefault(), form["metadata"].FirstOrDefault());
        var outcome = await engine.Ingestion.IngestBytesAsync(name, fileName, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), fields, ct);
        return WriteResult(outcome);
    }

    private static IResult WriteResult(IngestOutcome outcome)
    {
        var view = new WriteView(outcome.Outcome.ToString().ToLowerInvariant(), DocumentView.From(outcome.Document));
        string location = $"/collections/{outcome.Document.Collection}/documents/{Uri.EscapeDataString(outcome.ExternalId)}";
        return outcome.Outcome == WriteOutcome.Created ? Results.Created(location, view) : Results.Ok(view);
    }

    private static async Task<IResult> PostBulk(string name, HttpRequest request, SearchEngine engine, TaskWorker worker, CancellationToken ct)
    {
        if (await engine.Store.GetCollectionAsync(name, ct) is null) throw NoCollection(name);
        List<TaskItemInput> items;
        string contentType = request.ContentType ?? "";
        if (contentType.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) || contentType.StartsWith("application/jsonl", StringComparison.OrdinalIgnoreCase))
        {
            items = [];
            using var reader = new StreamReader(request.Body, new UTF8Encoding(false, true));
            int lineNumber = 0;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                lineNumber++;
                if (line.Length > engine.Options.Ingestion.MaxDocumentBytes) throw new ArgumentException($"line {lineNumber} is over the size limit for one document");
                if (!string.IsNullOrWhiteSpace(line)) items.Add(new TaskItemInput(TaskItemKind.Json, line));
            }
        }
        else if (request.HasJsonContentType())
        {
            var body = await request.ReadFromJsonAsync<BulkPathsRequest>(ct);
            if (body?.Paths is not { Count: > 0 } paths) throw new ArgumentException("name the files in 'paths' (files, directories or globs on the server)");
            items = PathExpansion.Expand(paths, engine.Ingestion.Extractors).ConvertAll(p => new TaskItemInput(TaskItemKind.Path, p));
        }
        else
        {
            throw new BadHttpRequestException("send application/json {\"paths\": [...]} or an application/x-ndjson body of documents", StatusCodes.Status415UnsupportedMediaType);
        }
        if (items.Count == 0) throw new ArgumentException("the request names no documents (no lines, or no file matched)");
        var task = await engine.Store.CreateTaskAsync(name, items, ct);
        worker.Wake();
        return Results.Accepted($"/tasks/{task.Id}", task);
    }

    /// <summary>A task with its failed items.</summary>
    public static async Task<TaskView> GetTaskView(SearchEngine engine, string id, CancellationToken ct)
    {
        var task = await engine.Store.GetTaskAsync(id, ct) ?? throw new NotFoundException($"task '{id}' does not exist");
        var failed = await engine.Store.GetTaskItemsAsync(id, TaskItemState.Failed, 0, MaxTaskErrorsShown, ct);
        return new TaskView(task, failed.Select(i => new TaskItemError(i.Ordinal, i.Kind == TaskItemKind.Path ? i.Payload : $"line {i.Ordinal + 1}", i.Error)).ToList());
    }
}
