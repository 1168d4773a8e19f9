using System.Net;

namespace Search.Client;

/// <summary>The service refused or failed a request: its status and the problem's title and detail (what was wrong).</summary>
public class SearchApiException(HttpStatusCode status, string title, string detail) : Exception($"{(int)status} {title}: {detail}")
{
    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>The problem's title.</summary>
    public string Title { get; } = title;

    /// <summary>The problem's detail: what was wrong, in the service's words.</summary>
    public string Detail { get; } = detail;
}

/// <summary>404: the collection, document, task or key does not exist.</summary>
public sealed class SearchNotFoundException(string title, string detail) : SearchApiException(HttpStatusCode.NotFound, title, detail);

/// <summary>401 or 403: no key, a bad or expired key, or a key without the action or collection.</summary>
public sealed class SearchAccessException(HttpStatusCode status, string title, string detail) : SearchApiException(status, title, detail);

/// <summary>400, 409, 413, 415, 422: the request itself is wrong (a bad field, a conflict, too large, unreadable).</summary>
public sealed class SearchRequestException(HttpStatusCode status, string title, string detail) : SearchApiException(status, title, detail);
