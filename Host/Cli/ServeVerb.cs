using Microsoft.Extensions.Logging;
using Search.Indexing.Ingestion;
using Search.Indexing.Pipeline;
using Search.Ranking;
using Search.Service;
using Search.Service.Security;

namespace Search.Cli;

/// <summary><c>./search serve</c>: the REST service, which maintains every collection's indexes in the background.</summary>
public static class ServeVerb
{
    /// <summary>Runs the service until it is stopped.</summary>
    public static async Task<int> RunAsync(CliArguments a)
    {
        string urls = a.Get("urls") ?? Environment.GetEnvironmentVariable("SEARCH_URLS") ?? "http://127.0.0.1:8080";
        var options = EngineSettings.From(a, IndexingMode.Background, ranks: true);
        var roots = a.GetAll("ingest-root");
        options = options with { Ingestion = options.Ingestion with { Roots = roots.Count == 0 ? IngestRoots.None : IngestRoots.Of(roots, [options.DataDirectory]) } };
        var security = Security(a, options.DataDirectory);
        a.RejectUnknown();
        try
        {
            // Refuse an open binding before the engine starts work.
            security.CheckBinding(urls);
        }
        catch (InsecureBindingException e)
        {
            throw new UsageException(e.Message);
        }
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        await using var engine = await SearchEngine.OpenAsync(options, loggers);
        var app = WebHost.Build(engine, urls, security);
        var log = loggers.CreateLogger("Search.Serve");
        // The ranker's models load while the service starts answering, so the first ranked search does not wait for them.
        _ = Task.Run(async () =>
        {
            try
            {
                if (engine.Search.Ranker is { } ranker) await ranker.PrepareAsync(CancellationToken.None);
            }
            catch (Exception e)
            {
                log.LogWarning(e, "The ranker could not load its models; ranked searches will answer in hybrid order");
            }
        });
        if (security.MasterKey is null)
            log.LogWarning("No master key: the service answers without authentication and only on loopback ({Urls}). Set SEARCH_MASTER_KEY or --master-key-file to require API keys.", urls);
        else
            log.LogInformation("API keys required (master key set); keys are kept in {KeyFile}", security.KeyFile);
        await app.RunAsync();
        return 0;
    }

    /// <summary>The master key (SEARCH_MASTER_KEY or --master-key-file), allowed hosts, CORS origins and the rate limit.</summary>
    private static ServiceSecurityOptions Security(CliArguments a, string dataDirectory)
    {
        string? masterKey = Environment.GetEnvironmentVariable("SEARCH_MASTER_KEY");
        if (a.Get("master-key-file") is { } file)
        {
            if (!File.Exists(file)) throw new UsageException($"--master-key-file {file}: no such file");
            masterKey = File.ReadAllText(file).Trim();
        }
        return new ServiceSecurityOptions
        {
            MasterKey = string.IsNullOrEmpty(masterKey) ? null : masterKey,
            KeyFile = Path.Combine(dataDirectory, "api-keys.json"),
            AllowedHosts = a.Get("allowed-hosts") is { } hosts ? hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [],
            CorsOrigins = a.GetAll("cors-origin"),
            RequestsPerSecond = a.GetInt("rate-limit", new ServiceSecurityOptions().RequestsPerSecond, 1, 1_000_000),
        };
    }
}
