using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Search.Core.IO;

namespace Search.Service.Security;

/// <summary>
/// The service's API keys, kept hashed in one checksummed JSON file in the data directory and rewritten durably on
/// every change, so an acknowledged create or revoke survives a kill. A damaged file stops the service at start
/// rather than leaving it open or locked.
/// </summary>
public sealed class ApiKeyStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _path;
    private readonly Lock _gate = new();
    private readonly List<ApiKey> _keys;
    private Dictionary<string, ApiKey> _byHash;

    /// <summary>Opens (or starts) the key file at <paramref name="path"/>.</summary>
    public ApiKeyStore(string path)
    {
        _path = path;
        _keys = File.Exists(path)
            ? JsonSerializer.Deserialize<List<ApiKey>>(ChecksummedFile.ReadBody(path), Json) ?? []
            : [];
        _byHash = Index(_keys);
    }

    /// <summary>Every key, oldest first.</summary>
    public IReadOnlyList<ApiKey> List()
    {
        lock (_gate) return [.. _keys];
    }

    /// <summary>One key by its uid.</summary>
    public ApiKey? Get(string uid)
    {
        lock (_gate) return _keys.Find(k => k.Uid == uid);
    }

    /// <summary>Creates a key; returns it and the plain key, which is never stored.</summary>
    public (ApiKey Key, string Plain) Create(CreateKeyRequest request, DateTimeOffset now)
    {
        string name = string.IsNullOrWhiteSpace(request.Name) ? throw new ArgumentException("name the key ('name')") : request.Name.Trim();
        if (name.Length > 200) throw new ArgumentException("a key's name is at most 200 characters");
        var actions = request.Actions is { Length: > 0 } a ? a : throw new ArgumentException($"give the key at least one action ('actions'): {string.Join(", ", ApiKeyActions.Known)}");
        foreach (string action in actions)
            if (!ApiKeyActions.Known.Contains(action)) throw new ArgumentException($"unknown action '{action}'; actions are {string.Join(", ", ApiKeyActions.Known)}");
        var collections = request.Collections is { Length: > 0 } c ? c : throw new ArgumentException("give the key the collections it reaches ('collections'), or [\"*\"] for all");
        foreach (string collection in collections)
            if (string.IsNullOrWhiteSpace(collection) || collection.Length > 200 || collection.Any(char.IsControl))
                throw new ArgumentException($"'{collection}' is not a collection name or pattern");
        if (request.ExpiresAt is { } expires && expires <= now) throw new ArgumentException("expiresAt is in the past");

        string plain = "srch_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey(Guid.NewGuid().ToString("N"), name, request.Description, [.. actions.Distinct()], [.. collections.Distinct()],
            request.ExpiresAt, now, plain[..12], Hash(plain));
        lock (_gate)
        {
            _keys.Add(key);
            Save();
        }
        return (key, plain);
    }

    /// <summary>Revokes a key; false when there is no such key.</summary>
    public bool Delete(string uid)
    {
        lock (_gate)
        {
            int removed = _keys.RemoveAll(k => k.Uid == uid);
            if (removed > 0) Save();
            return removed > 0;
        }
    }

    /// <summary>The key whose plain text is <paramref name="plain"/>, or null.</summary>
    public ApiKey? Find(string plain)
    {
        Dictionary<string, ApiKey> byHash;
        lock (_gate) byHash = _byHash;
        return byHash.GetValueOrDefault(Hash(plain));
    }

    /// <summary>Whether <paramref name="presented"/> is <paramref name="expected"/>, in time independent of where they differ.</summary>
    public static bool SameSecret(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    private void Save()
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(_keys, Json);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(_path));
        if (directory is not null) Directory.CreateDirectory(directory);
        ChecksummedFile.Write(DiskFileSystem.Instance, _path, stream => stream.Write(body));
        _byHash = Index(_keys);
    }

    private static Dictionary<string, ApiKey> Index(List<ApiKey> keys)
    {
        var index = new Dictionary<string, ApiKey>(StringComparer.Ordinal);
        foreach (var key in keys) index[key.Hash] = key;
        return index;
    }

    private static string Hash(string plain) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plain)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
