using Microsoft.SemanticKernel;
using Search.Client;

namespace Search.SemanticKernel.Sample;

/// <summary>
/// Builds a kernel whose plugin <c>documents</c> searches a collection of a running Search service, invokes its
/// <c>search</c> function the way a model's function call would, and prints the passages with where they sit.
/// </summary>
public static class SampleProgram
{
    private const string Usage = "usage: SemanticKernelSample [--url http://127.0.0.1:8080] [--collection samples] [--mode hybrid] [--count 3] QUERY";

    /// <summary>Runs the sample: 0 when it printed passages, 2 for bad arguments, 1 when the service failed.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, string? apiKey, CancellationToken ct = default)
    {
        string url = "http://127.0.0.1:8080", collection = "samples", mode = "hybrid", query = "";
        int count = 3;
        for (int i = 0; i < args.Length; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--url": url = Value() ?? ""; break;
                case "--collection": collection = Value() ?? ""; break;
                case "--mode": mode = Value() ?? ""; break;
                case "--count" when int.TryParse(Value(), out int n) && n is >= 1 and <= SearchPlugin.MaxCount: count = n; break;
                case var a when a.StartsWith("--", StringComparison.Ordinal): return Fail(error, $"unknown or bad option {a}");
                default: query = query.Length == 0 ? args[i] : query + " " + args[i]; break;
            }
        }
        if (query.Length == 0 || collection.Length == 0 || mode.Length == 0) return Fail(error, "a query, a collection and a mode are needed");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address)) return Fail(error, $"--url {url} is not an absolute URL");

        using var client = new SearchClient(address, apiKey);
        var builder = Kernel.CreateBuilder();
        builder.Plugins.AddSearchCollection(client, collection, mode);
        var kernel = builder.Build();
        try
        {
            var result = await kernel.InvokeAsync("documents", "search", new KernelArguments { ["query"] = query, ["count"] = count }, ct);
            var passages = result.GetValue<IReadOnlyList<Passage>>() ?? [];
            output.WriteLine($"{passages.Count} passages from '{collection}' for \"{query}\" (kernel plugin documents.search, {mode}):");
            foreach (var p in passages)
            {
                output.WriteLine($"  {p.Score:F3}  {p.Location}");
                output.WriteLine($"         {Snippet(p.Text)}");
                output.WriteLine($"         {p.Link}");
            }
            return 0;
        }
        catch (SearchApiException e)
        {
            error.WriteLine($"the service refused: {e.Message}");
            return e is SearchRequestException or SearchNotFoundException or SearchAccessException ? 2 : 1;
        }
        catch (HttpRequestException e)
        {
            error.WriteLine($"no service at {address}: {e.Message}");
            return 1;
        }
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine(message);
        error.WriteLine(Usage);
        return 2;
    }

    private static string Snippet(string text)
    {
        string flat = text.ReplaceLineEndings(" ");
        return flat.Length <= 160 ? flat : flat[..157] + "…";
    }
}
