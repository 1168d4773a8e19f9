using System.Net;

namespace Search.Indexing.Embeddings;

/// <summary>An embeddings endpoint refused a request or answered with something that is not an embeddings response;
/// <see cref="ServerMessage"/> is what the server said.</summary>
public sealed class EmbeddingServiceException(string message, HttpStatusCode? statusCode, string? serverMessage, Exception? inner = null)
    : HttpRequestException(message, inner, statusCode)
{
    /// <summary>The server's error message (OpenAI's error.message, a problem's detail, or the body's start).</summary>
    public string? ServerMessage { get; } = serverMessage;
}
