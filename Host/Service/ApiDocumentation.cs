using Microsoft.OpenApi;
using Search.Service.Security;

namespace Search.Service;

/// <summary>
/// Makes <c>/openapi/v1.json</c> describe the API as it behaves: the bearer scheme (and which operations need none),
/// each operation's error answers (problem+json, or OpenAI's shape under /v1), and which request fields are required.
/// </summary>
public static class ApiDocumentation
{
    // Fields a request body must carry; every other field of these bodies is optional.
    private static readonly Dictionary<Type, string[]> RequiredFields = new()
    {
        [typeof(CreateCollectionRequest)] = ["name"],
        [typeof(UpdateCollectionRequest)] = ["embedder"],
        [typeof(SearchBody)] = ["q"],
        [typeof(BulkPathsRequest)] = ["paths"],
        [typeof(EmbeddingsRequest)] = ["input"],
        [typeof(CreateKeyRequest)] = ["name", "actions", "collections"],
        [typeof(DocumentBody)] = [],
        [typeof(UploadForm)] = ["file"],
    };

    /// <summary>Registers the document and its transformers.</summary>
    public static void AddApiDocumentation(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Search",
                Version = "v1",
                Description = "Retrieval over long documents: collections, documents, search (bm25, dense, situated, hybrid, ranked), bulk tasks, admin, API keys and an OpenAI-compatible embeddings API.",
                License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" },
            };
            foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/');
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                ["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key (POST /keys), or the master key. A service started without a master key answers on loopback without one.",
                },
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
            document.Tags = new HashSet<OpenApiTag>
            {
                new() { Name = "collections", Description = "Collections, their documents and search." },
                new() { Name = "tasks", Description = "Bulk ingestion tasks." },
                new() { Name = "admin", Description = "Reindexing and index status." },
                new() { Name = "keys", Description = "API keys." },
                new() { Name = "openai", Description = "The OpenAI-compatible embeddings API." },
                new() { Name = "service", Description = "Health." },
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<PublicEndpoint>().Any()) operation.Security = [];
            string path = "/" + (context.Description.RelativePath ?? "");
            operation.Tags = new HashSet<OpenApiTagReference> { new(Tag(path), context.Document) };
            if (metadata.OfType<DocumentedBody>().FirstOrDefault() is { } body)
            {
                var content = new Dictionary<string, OpenApiMediaType>();
                foreach (var (contentType, type) in body.Content)
                    content[contentType] = new OpenApiMediaType { Schema = await context.GetOrCreateSchemaAsync(type, null, ct) };
                operation.RequestBody = new OpenApiRequestBody { Required = true, Content = content };
            }
        });
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (RequiredFields.TryGetValue(context.JsonTypeInfo.Type, out var required)) schema.Required = new HashSet<string>(required);
            return Task.CompletedTask;
        });
    });

    private static string Tag(string path) => path switch
    {
        _ when path.StartsWith("/v1/", StringComparison.Ordinal) => "openai",
        _ when path.StartsWith("/keys", StringComparison.Ordinal) => "keys",
        _ when path.StartsWith("/tasks", StringComparison.Ordinal) => "tasks",
        _ when path.StartsWith("/admin/", StringComparison.Ordinal) => "admin",
        _ when path.StartsWith("/collections", StringComparison.Ordinal) => "collections",
        _ => "service",
    };

    /// <summary>
    /// Names and summarises an operation and declares its error answers: problem+json, or OpenAI's error shape under
    /// /v1; 401, 403 and 429 come with keys and rate limits, so every non-public operation has them.
    /// </summary>
    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder builder, string operationId, string summary, params int[] errors)
    {
        builder.WithName(operationId).WithSummary(summary);
        bool openAi = operationId.StartsWith("openai", StringComparison.Ordinal);
        int[] all = [.. errors, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests];
        foreach (int status in all.Distinct().Order())
        {
            if (openAi) builder.Produces<ProblemMapping.OpenAiError>(status);
            else builder.ProducesProblem(status);
        }
        return builder;
    }

    /// <summary>
    /// Documents a body the handler reads itself, per content type. Unlike <c>Accepts</c> this leaves the content-type
    /// check to the handler, whose 415 says what to send.
    /// </summary>
    public static RouteHandlerBuilder Body(this RouteHandlerBuilder builder, params (string ContentType, Type Type)[] content) =>
        builder.WithMetadata(new DocumentedBody(content));

    /// <summary>An operation answered without a key.</summary>
    public static RouteHandlerBuilder DocumentedPublic(this RouteHandlerBuilder builder, string operationId, string summary) =>
        builder.WithName(operationId).WithSummary(summary).ProducesProblem(StatusCodes.Status429TooManyRequests);
}

/// <summary>Endpoint metadata: the request body the OpenAPI document shows, by content type.</summary>
public sealed record DocumentedBody(IReadOnlyList<(string ContentType, Type Type)> Content);

/// <summary>The JSON body of <c>POST /collections/{name}/documents</c> (for the OpenAPI document; the reader accepts exactly these fields).</summary>
/// <param name="Id">The document's id (a string or a number); without one, a content hash names it.</param>
/// <param name="Title">The title.</param>
/// <param name="Text">The text (paragraphs separated by blank lines); or give <paramref name="Segments"/>.</param>
/// <param name="Source">Where it came from.</param>
/// <param name="Metadata">Filterable fields.</param>
/// <param name="Segments">A transcript: objects with start, end, speaker and text.</param>
public sealed record DocumentBody(string? Id, string? Title, string? Text, string? Source, Dictionary<string, string>? Metadata, IReadOnlyList<TranscriptSegmentBody>? Segments);

/// <summary>One transcript segment of a <see cref="DocumentBody"/>: times in seconds or "hh:mm:ss".</summary>
public sealed record TranscriptSegmentBody(double? Start, double? End, string? Speaker, string? Text);

/// <summary>The multipart form of <c>POST /collections/{name}/documents/upload</c>.</summary>
/// <param name="File">The file; its extension decides the format.</param>
/// <param name="Id">The document's id (default: the file name).</param>
/// <param name="Title">The title (default: from the file).</param>
/// <param name="Metadata">Filterable fields as a JSON object.</param>
public sealed record UploadForm(IFormFile File, string? Id, string? Title, string? Metadata);
