using System.Diagnostics;

namespace Search.Service;

/// <summary>One debug line per request (method, path, status, time): on in a debug log, silent in production logs.</summary>
public static class RequestLog
{
    /// <summary>The middleware.</summary>
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        long started = Stopwatch.GetTimestamp();
        await next(context);
        var log = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Search.Requests");
        if (log.IsEnabled(LogLevel.Debug))
            log.LogDebug("{Method} {Path} {Status} {Milliseconds:0.0} ms", context.Request.Method, context.Request.Path, context.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
