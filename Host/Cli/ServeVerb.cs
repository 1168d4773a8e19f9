using Microsoft.Extensions.Logging;
using Search.Indexing.Pipeline;
using Search.Ranking;
using Search.Service;

namespace Search.Cli;

/// <summary><c>./search serve</c>: the REST service, which maintains every collection's indexes in the background.</summary>
public static class ServeVerb
{
    /// <summary>Runs the service until it is stopped.</summary>
    public static async Task<int> RunAsync(CliArguments a)
    {
        string urls = a.Get("urls") ?? Environment.GetEnvironmentVariable("SEARCH_URLS") ?? "http://127.0.0.1:8080";
        var options = EngineSettings.From(a, IndexingMode.Background);
        a.RejectUnknown();
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        await using var engine = await SearchEngine.OpenAsync(options, loggers);
        var app = WebHost.Build(engine, urls);
        await app.RunAsync();
        return 0;
    }
}
