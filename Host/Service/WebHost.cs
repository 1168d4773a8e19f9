using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.WebUtilities;
using Search.Ranking;
using Search.Service.Security;

namespace Search.Service;

/// <summary>Builds the HTTP service around an engine: Kestrel, JSON, problem details, OpenAPI, the task worker.</summary>
public static class WebHost
{
    /// <summary>The largest request body accepted (NDJSON bulk uploads); single documents have their own limit.</summary>
    public const long MaxRequestBytes = 1L << 30;

    /// <summary>
    /// Creates the application; <paramref name="urls"/> such as "http://127.0.0.1:8080" (port 0 picks a free one).
    /// Throws <see cref="InsecureBindingException"/> when they reach beyond loopback without a master key.
    /// <paramref name="logging"/> adds to the console log (a file sink, or a test's capture).
    /// </summary>
    public static WebApplication Build(SearchEngine engine, string urls, ServiceSecurityOptions? security = null, Action<ILoggingBuilder>? logging = null)
    {
        security ??= new ServiceSecurityOptions();
        security.CheckBinding(urls);
        // A service reads files of its own only below configured roots; the command line's "anything readable" is not for it.
        if (engine.Options.Ingestion.Roots.IsUnrestricted)
            throw new ArgumentException("a service needs its ingest roots set (IngestRoots.Of(...), or IngestRoots.None to read no server paths)");
        var keys = new ApiKeyStore(security.KeyFile ?? Path.Combine(engine.Options.DataDirectory, "api-keys.json"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = MaxRequestBytes;
            // Kestrel answers past its own limits with a bare status; it is given room above the service's limits
            // (RequestGate) so the client gets a problem that says what was too long.
            k.Limits.MaxRequestLineSize = 8 * RequestGate.MaxUrlChars;
            k.Limits.MaxRequestHeadersTotalSize = 4 * RequestGate.MaxHeaderChars;
        });
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o => o.MultipartBodyLengthLimit = MaxRequestBytes);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        // The framework's per-request lines are debug detail; the service logs each request once at debug itself,
        // a client's mistake (4xx) as one warning line and its own failures (5xx) as an error with the stack.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(security);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(security.Clock);
        builder.Services.AddSingleton<AccessControl>();
        builder.Services.AddRateLimiter(o =>
        {
            // One token bucket per key (per client address for requests without one): a flood from one caller slows that
            // caller only. An unauthenticated loopback service (no master key) has no callers to tell apart: no limit.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => security.MasterKey is null
                ? RateLimitPartition.GetNoLimiter("loopback")
                : RateLimitPartition.GetTokenBucketLimiter(
                    context.Items[AccessControl.PrincipalItem] as string ?? context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = 2 * security.RequestsPerSecond,
                        TokensPerPeriod = security.RequestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                    }));
            o.OnRejected = (rejected, _) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "1";
                return new ValueTask(ProblemMapping.WriteErrorAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"more than {security.RequestsPerSecond} requests a second from this key; retry after a second"));
            };
        });
        if (security.CorsOrigins.Count > 0)
            builder.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins([.. security.CorsOrigins]).AllowAnyHeader().AllowAnyMethod()));
        builder.Services.AddHostedService<IndexingWorker>();
        builder.Services.AddHostedService<TaskWorker>();
        builder.Services.AddProblemDetails();
        // Binding failures (bad JSON, a non-numeric k) reach the exception handler, which says what was wrong.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddApiDocumentation();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        var app = builder.Build();
        // Outermost, so each request's line has the status the error handling gave it.
        app.Use(RequestLog.InvokeAsync);
        app.Use(RequestGate.InvokeAsync);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = ProblemMapping.WriteAsync,
            // ProblemMapping logs what it maps: without this the framework logs every 4xx as an unhandled error with its stack.
            SuppressDiagnosticsCallback = _ => true,
        });
        // Routing's own 404/405 and other bodiless errors get the same shapes as the handlers' errors.
        app.UseStatusCodePages(pages => ProblemMapping.WriteErrorAsync(pages.HttpContext, pages.HttpContext.Response.StatusCode,
            ReasonPhrases.GetReasonPhrase(pages.HttpContext.Response.StatusCode), $"{pages.HttpContext.Request.Method} {pages.HttpContext.Request.Path}: {ReasonPhrases.GetReasonPhrase(pages.HttpContext.Response.StatusCode).ToLowerInvariant()}"));
        app.UseRouting();
        if (security.CorsOrigins.Count > 0) app.UseCors();
        var gate = app.Services.GetRequiredService<AccessControl>();
        app.Use((context, next) => gate.InvokeAsync(context, next));
        app.UseRateLimiter();
        app.MapOpenApi().Public();
        Endpoints.Map(app);
        return app;
    }
}
