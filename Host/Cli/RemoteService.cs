using Search.Client;

namespace Search.Cli;

/// <summary>
/// A running service the command line talks to instead of opening the store: <c>--service URL</c> (env
/// SEARCH_SERVICE) with the API key from <c>--api-key-file FILE</c> (env SEARCH_API_KEY), through <see cref="SearchClient"/>.
/// </summary>
public static class RemoteService
{
    /// <summary>A client for the service the arguments name, or null when they name none (the verb opens the store itself).</summary>
    public static SearchClient? Connect(CliArguments a)
    {
        string? url = a.Get("service") is { Length: > 0 } given ? given : Environment.GetEnvironmentVariable("SEARCH_SERVICE") is { Length: > 0 } env ? env : null;
        string? keyFile = a.Get("api-key-file");
        if (url is null)
        {
            if (keyFile is not null) throw new UsageException("--api-key-file goes with --service URL");
            return null;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            throw new UsageException($"--service must be an http(s) URL, not '{url}'");
        string? key = keyFile is not null ? File.ReadAllText(keyFile).Trim() : Environment.GetEnvironmentVariable("SEARCH_API_KEY") is { Length: > 0 } k ? k.Trim() : null;
        if (!address.AbsolutePath.EndsWith('/')) address = new Uri(address.AbsoluteUri + "/");
        return new SearchClient(address, key);
    }
}
