using System.Diagnostics;
using System.Text.Json;
using Search.Indexing.Lexical;
using Search.Indexing.Storage;

namespace Search.Ranking;

/// <summary>Answers search requests over a collection: retrieve from the indexes, apply filters, and attach each hit's passage and place.</summary>
public sealed class SearchService(IDocumentStore store, CollectionIndexes indexes)
{
    /// <summary>The largest k a request may ask for.</summary>
    public const int MaxK = 1000;

    /// <summary>Runs one search; throws <see cref="ArgumentException"/> for an invalid request and <see cref="NotFoundException"/> for an unknown collection.</summary>
    public async Task<SearchResponse> SearchAsync(string collection, SearchRequest request, CancellationToken ct = default)
    {
        Validate(request);
        var clock = Stopwatch.StartNew();
        var index = await indexes.GetCurrentAsync(collection, ct);
        Func<long, bool>? filter = request.Filters is { Count: > 0 } filters
            ? id => index.Documents.TryGetValue(id, out var info) && Matches(info.Metadata, filters)
            : null;
        var generation = index.Acquire();
        IReadOnlyList<LexicalHit> hits;
        try { hits = generation.Lexical.Search(new LexicalQuery(request.Query, request.K, request.GroupByDocument, filter)); }
        finally { generation.Release(); }
        var keys = hits.Select(h => (h.DocumentId, h.Ordinal)).ToList();
        var segments = (await store.GetSegmentsAsync(keys, ct)).ToDictionary(s => (s.DocumentId, s.Ordinal));
        var result = new List<SearchHit>(hits.Count);
        foreach (var h in hits)
        {
            // A document replaced between retrieval and this read is skipped rather than shown with the wrong passage.
            if (!segments.TryGetValue((h.DocumentId, h.Ordinal), out var s) || !index.Documents.TryGetValue(h.DocumentId, out var doc)) continue;
            var components = new Dictionary<string, double>
            {
                ["bm25"] = h.Score,
                ["bm25_title"] = h.Components.Title,
                ["bm25_section"] = h.Components.Section,
                ["bm25_body"] = h.Components.Body,
            };
            result.Add(new SearchHit(result.Count + 1, doc.ExternalId, doc.Title, s.Ordinal, s.Text, s.SectionPath, s.StartSeconds, s.EndSeconds, s.Speaker, h.Score, components, s.Chapter));
        }
        return new SearchResponse(request.Query, request.Mode, result, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Ranked document ids only (for evaluation): one entry per document, best first.</summary>
    public async Task<IReadOnlyList<(string DocumentId, double Score)>> RankDocumentsAsync(string collection, string query, int k, CancellationToken ct = default)
    {
        var index = await indexes.GetCurrentAsync(collection, ct);
        var generation = index.Acquire();
        IReadOnlyList<LexicalHit> hits;
        try { hits = generation.Lexical.Search(new LexicalQuery(query, k, GroupByDocument: true)); }
        finally { generation.Release(); }
        var result = new List<(string, double)>(hits.Count);
        foreach (var h in hits)
            if (index.Documents.TryGetValue(h.DocumentId, out var doc)) result.Add((doc.ExternalId, h.Score));
        return result;
    }

    private static void Validate(SearchRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Query)) throw new ArgumentException("the query 'q' is empty");
        if (request.Query.Length > 10_000) throw new ArgumentException("the query is longer than 10,000 characters");
        if (request.K is < 1 or > MaxK) throw new ArgumentException($"k must be between 1 and {MaxK}");
        if (!SearchModes.All.Contains(request.Mode)) throw new ArgumentException($"unknown mode '{request.Mode}'; supported: {string.Join(", ", SearchModes.All)}");
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
