namespace Search.Service;

/// <summary>
/// The service's own limits on a request's URL and headers, checked before anything else so the refusal is a
/// problem (414, 431) rather than the bare status Kestrel gives past its (higher) limits.
/// </summary>
public static class RequestGate
{
    /// <summary>Longest path and query, in characters.</summary>
    public const int MaxUrlChars = 8192;

    /// <summary>Most header characters (names and values) in one request.</summary>
    public const int MaxHeaderChars = 32768;

    /// <summary>The middleware.</summary>
    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        long url = request.Path.Value?.Length ?? 0;
        url += request.QueryString.Value?.Length ?? 0;
        if (url > MaxUrlChars)
            return ProblemMapping.WriteErrorAsync(context, StatusCodes.Status414UriTooLong, "URI too long", $"the path and query are {url:N0} characters; at most {MaxUrlChars:N0}");
        long headers = 0;
        foreach (var header in request.Headers)
        {
            headers += header.Key.Length;
            foreach (var value in header.Value) headers += value?.Length ?? 0;
        }
        if (headers > MaxHeaderChars)
            return ProblemMapping.WriteErrorAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request headers too large", $"the headers are {headers:N0} characters; at most {MaxHeaderChars:N0}");
        return next(context);
    }
}
