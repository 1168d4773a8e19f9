using System.Net;

namespace Search.Service.Security;

/// <summary>
/// Who may call the service and from where. Without a master key the service answers anyone on loopback only, and
/// refuses to bind elsewhere; with one, every request but health and the OpenAPI document needs a key.
/// </summary>
public sealed record ServiceSecurityOptions
{
    /// <summary>Shortest master key accepted (bytes of UTF-8).</summary>
    public const int MinimumMasterKeyBytes = 16;

    /// <summary>The master key: every action, and it creates the other keys. Null: no authentication, loopback only.</summary>
    public string? MasterKey { get; init; }

    /// <summary>Where the API keys are kept (null: <c>api-keys.json</c> in the engine's data directory).</summary>
    public string? KeyFile { get; init; }

    /// <summary>Host header values accepted; empty: loopback names without a master key, any host with one.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Origins whose pages may call the service from a browser; empty: none (no CORS, and cross-origin writes are refused).</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>Requests per second each key (each client address, for requests without one) may make, with bursts of twice that; with a master key only.</summary>
    public int RequestsPerSecond { get; init; } = 200;

    /// <summary>The clock keys expire by (tests move it).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Throws when the master key is too short or the addresses reach beyond loopback without one.</summary>
    public void CheckBinding(string urls)
    {
        if (MasterKey is { } key && System.Text.Encoding.UTF8.GetByteCount(key) < MinimumMasterKeyBytes)
            throw new InsecureBindingException($"the master key must be at least {MinimumMasterKeyBytes} bytes");
        if (MasterKey is not null) return;
        foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!IsLoopback(url))
                throw new InsecureBindingException($"{url} reaches beyond this machine: set a master key (SEARCH_MASTER_KEY or --master-key-file) to serve it, or bind 127.0.0.1");
    }

    /// <summary>The Host header values accepted when none were configured.</summary>
    public IReadOnlyList<string> EffectiveAllowedHosts =>
        AllowedHosts.Count > 0 ? AllowedHosts : MasterKey is null ? ["localhost", "127.0.0.1", "[::1]"] : ["*"];

    private static bool IsLoopback(string url)
    {
        // Kestrel's wildcards (*, +, 0.0.0.0, [::]) and any name other than localhost reach other machines.
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        string rest = scheme >= 0 ? url[(scheme + 3)..] : url;
        int slash = rest.IndexOf('/');
        if (slash >= 0) rest = rest[..slash];
        string host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']') + 1)] : rest.Split(':')[0];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }
}

/// <summary>The service was asked to listen where it would be open to other machines without authentication.</summary>
public sealed class InsecureBindingException(string message) : Exception(message);
