using System.Reflection;
using Search.Service.Security;

namespace Search.Service;

/// <summary>
/// The admin console: static pages embedded in this assembly, served at <c>/console/</c> without a key (the page holds
/// no data; every call it makes carries the key its user signs in with) and under a strict content security policy.
/// </summary>
public static class ConsoleEndpoints
{
    private const string ResourcePrefix = "Search.Service.Console.";
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, (byte[] Content, string Type)> Files = Load();

    /// <summary>Maps <c>/console/{file}</c> (and <c>/console</c>, redirected to <c>/console/</c>).</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/console/{file?}", (HttpContext context, string? file) =>
        {
            // Routing matches /console and /console/ alike; the page's relative links need the slash.
            if (file is null && !context.Request.Path.Value!.EndsWith('/')) return Results.Redirect("/console/");
            if (!Files.TryGetValue(string.IsNullOrEmpty(file) ? "index.html" : file, out var found))
                throw new Indexing.Storage.NotFoundException($"the console has no file '{file}'");
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = Policy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-cache";
            return Results.Bytes(found.Content, found.Type);
        }).Public().ExcludeFromDescription();
    }

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            string file = name[ResourcePrefix.Length..];
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[file] = (copy.ToArray(), Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            });
        }
        return files;
    }
}
