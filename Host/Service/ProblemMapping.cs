using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Search.Indexing.Extraction;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;

namespace Search.Service;

/// <summary>Maps exceptions to RFC 9457 problem+json responses: the client's mistakes are 4xx with a message that says what was wrong.</summary>
public static class ProblemMapping
{
    /// <summary>Status code and title for an exception.</summary>
    public static (int Status, string Title) Classify(Exception e) => e switch
    {
        NotFoundException => (StatusCodes.Status404NotFound, "Not found"),
        ConflictException => (StatusCodes.Status409Conflict, "Conflict"),
        ExtractionException => (StatusCodes.Status422UnprocessableEntity, "The document could not be read"),
        InvalidDocumentException => (StatusCodes.Status400BadRequest, "Bad request"),
        IndexingFailedException or IndexUnavailableException => (StatusCodes.Status503ServiceUnavailable, "Indexing unavailable"),
        BadHttpRequestException b => (b.StatusCode, "Bad request"),
        ArgumentException or FormatException or JsonException or InvalidDataException => (StatusCodes.Status400BadRequest, "Bad request"),
        OperationCanceledException => (499, "Request cancelled"),
        _ => (StatusCodes.Status500InternalServerError, "Internal error"),
    };

    /// <summary>Writes the problem for the exception the pipeline caught.</summary>
    public static async Task WriteAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is null) return;
        var (status, title) = Classify(error);
        string detail = status == 500 ? "the server failed to handle the request; see its log" : Unwrap(error).Message;
        var log = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Search.Api");
        if (status >= 500) log.LogError(error, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
        else log.LogWarning("{Method} {Path}: {Status} {Detail}", context.Request.Method, context.Request.Path, status, detail);
        await WriteErrorAsync(context, status, title, detail);
    }

    /// <summary>
    /// Answers an error in the caller's dialect: problem+json, or under <c>/v1/</c> (the OpenAI-compatible API) OpenAI's
    /// <c>{"error": {"message", "type", "param", "code"}}</c>, which is what OpenAI's clients read the message from.
    /// </summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string title, string detail)
    {
        if (!context.Request.Path.StartsWithSegments("/v1"))
            return Results.Problem(detail: detail, statusCode: status, title: title, instance: context.Request.Path).ExecuteAsync(context);
        (string type, string? code) = status switch
        {
            401 => ("invalid_request_error", "invalid_api_key"),
            403 => ("permission_error", "insufficient_permissions"),
            404 => ("invalid_request_error", "not_found"),
            429 => ("rate_limit_error", "rate_limit_exceeded"),
            >= 500 => ("server_error", null),
            _ => ("invalid_request_error", null),
        };
        return Results.Json(new OpenAiError(new OpenAiErrorBody(detail, type, null, code)), statusCode: status).ExecuteAsync(context);
    }

    /// <summary>OpenAI's error envelope.</summary>
    public sealed record OpenAiError([property: System.Text.Json.Serialization.JsonPropertyName("error")] OpenAiErrorBody Error);

    /// <summary>OpenAI's error fields.</summary>
    public sealed record OpenAiErrorBody(
        [property: System.Text.Json.Serialization.JsonPropertyName("message")] string Message,
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("param")] string? Param,
        [property: System.Text.Json.Serialization.JsonPropertyName("code")] string? Code);

    private static Exception Unwrap(Exception e) => e is BadHttpRequestException { InnerException: JsonException inner } ? inner : e;
}
