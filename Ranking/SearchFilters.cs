using System.Text.Json;

namespace Search.Ranking;

/// <summary>Metadata equality filters: parsed from <c>key:value</c> strings (REST and command line alike) and matched against a document's metadata.</summary>
public static class SearchFilters
{
    /// <summary>Filters from <c>key:value</c> strings (a later key wins); null when there are none. Throws <see cref="ArgumentException"/> for a malformed one.</summary>
    public static Dictionary<string, string>? Parse(IEnumerable<string>? filters)
    {
        if (filters is null) return null;
        Dictionary<string, string>? result = null;
        foreach (var f in filters)
        {
            int colon = f.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new ArgumentException($"filter '{f}' must be key:value");
            result ??= new Dictionary<string, string>(StringComparer.Ordinal);
            result[f[..colon]] = f[(colon + 1)..];
        }
        return result;
    }

    /// <summary>True when every filter key is present in the metadata with an equal value (for arrays: an equal element).</summary>
    public static bool Matches(JsonElement metadata, IReadOnlyDictionary<string, string> filters)
    {
        if (metadata.ValueKind != JsonValueKind.Object) return false;
        foreach (var (key, expected) in filters)
        {
            if (!metadata.TryGetProperty(key, out var value) || !ValueEquals(value, expected)) return false;
        }
        return true;
    }

    private static bool ValueEquals(JsonElement value, string expected)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String: return string.Equals(value.GetString(), expected, StringComparison.Ordinal);
            case JsonValueKind.Number:
            case JsonValueKind.True:
            case JsonValueKind.False: return string.Equals(value.GetRawText(), expected, StringComparison.OrdinalIgnoreCase);
            case JsonValueKind.Array:
                foreach (var e in value.EnumerateArray())
                    if (ValueEquals(e, expected)) return true;
                return false;
            default: return false;
        }
    }
}
