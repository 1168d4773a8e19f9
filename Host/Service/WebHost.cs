using System.Text.Json.Serialization;
using Search.Ranking;

namespace Search.Service;

/// <summary>Builds the HTTP service around an engine: Kestrel, JSON, problem details, OpenAPI, the task worker.</summary>
public static class WebHost
{
    /// <summary>The largest request body accepted (NDJSON bulk uploads); single documents have their own limit.</summary>
    public const long MaxRequestBytes = 1L << 30;

    /// <summary>Creates the application; <paramref name="urls"/> such as "http://127.0.0.1:8080" (port 0 picks a free one).</summary>
    public static WebApplication Build(SearchEngine engine, string urls, string[]? args = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBytes);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o => o.MultipartBodyLengthLimit = MaxRequestBytes);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.AddSingleton(engine);
        builder.Services.AddHostedService<IndexingWorker>();
        builder.Services.AddHostedService<TaskWorker>();
        builder.Services.AddProblemDetails();
        // Binding failures (bad JSON, a non-numeric k) reach the exception handler, which says what was wrong.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = ProblemMapping.WriteAsync });
        app.UseStatusCodePages();
        app.MapOpenApi();
        Endpoints.Map(app);
        return app;
    }
}
