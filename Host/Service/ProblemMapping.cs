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
        if (status == 500)
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Search.Api").LogError(error, "Unhandled error on {Path}", context.Request.Path);
        await Results.Problem(detail: detail, statusCode: status, title: title, instance: context.Request.Path).ExecuteAsync(context);
    }

    private static Exception Unwrap(Exception e) => e is BadHttpRequestException { InnerException: JsonException inner } ? inner : e;
}
