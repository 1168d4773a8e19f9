using System.Text.Json.Serialization;

namespace Search.Service.Security;

/// <summary>
/// A stored API key: what it may do (actions), where (collection names or <c>*</c>; a trailing <c>*</c> matches a
/// prefix) and until when. Only the SHA-256 of the key is kept; the key itself is shown once, when it is created.
/// </summary>
public sealed record ApiKey(
    string Uid,
    string Name,
    string? Description,
    IReadOnlyList<string> Actions,
    IReadOnlyList<string> Collections,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset CreatedAt,
    string Prefix,
    [property: JsonPropertyName("sha256")] string Hash)
{
    /// <summary>Whether the key has expired at <paramref name="now"/>.</summary>
    public bool ExpiredAt(DateTimeOffset now) => ExpiresAt is { } at && at <= now;

    /// <summary>Whether the key may perform <paramref name="action"/>.</summary>
    public bool Allows(string action)
    {
        foreach (string a in Actions)
            if (a == ApiKeyActions.All || a == action) return true;
        return false;
    }

    /// <summary>Whether the key reaches the collection <paramref name="collection"/>.</summary>
    public bool Reaches(string collection)
    {
        foreach (string pattern in Collections)
        {
            if (pattern == "*" || pattern == collection) return true;
            if (pattern.EndsWith('*') && collection.StartsWith(pattern[..^1], StringComparison.Ordinal)) return true;
        }
        return false;
    }
}

/// <summary>A key as the API shows it: everything but its hash; <see cref="Key"/> only in the answer that created it.</summary>
public sealed record ApiKeyView(string Uid, string Name, string? Description, IReadOnlyList<string> Actions, IReadOnlyList<string> Collections,
    DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt, string Prefix, string? Key = null)
{
    /// <summary>The view of a stored key.</summary>
    public static ApiKeyView From(ApiKey key, string? plain = null) =>
        new(key.Uid, key.Name, key.Description, key.Actions, key.Collections, key.ExpiresAt, key.CreatedAt, key.Prefix, plain);
}

/// <summary>The body of <c>POST /keys</c>.</summary>
public sealed record CreateKeyRequest(string? Name, string? Description, string[]? Actions, string[]? Collections, DateTimeOffset? ExpiresAt);
