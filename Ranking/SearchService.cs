using System.Diagnostics;
using System.Text.Json;
using Search.Indexing.Lexical;
using Search.Indexing.Storage;
using Search.Ranking.Hybrid;

namespace Search.Ranking;

/// <summary>Answers search requests over a collection: retrieve from the indexes, apply filters, and attach each hit's passage and place.</summary>
public sealed class SearchService(IDocumentStore store, CollectionIndexes indexes)
{
    /// <summary>Settings of the dense and hybrid modes.</summary>
    public HybridOptions Options { get; init; } = new();

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
        var ranked = await RetrieveAsync(collection, index, request.Query, request.Mode, request.K, request.GroupByDocument, filter, ct);
        var keys = ranked.Select(h => (h.DocumentId, h.Ordinal)).ToList();
        var segments = (await store.GetSegmentsAsync(keys, ct)).ToDictionary(s => (s.DocumentId, s.Ordinal));
        var result = new List<SearchHit>(ranked.Count);
        foreach (var h in ranked)
        {
            // A document replaced between retrieval and this read is skipped rather than shown with the wrong passage.
            if (!segments.TryGetValue((h.DocumentId, h.Ordinal), out var s) || !index.Documents.TryGetValue(h.DocumentId, out var doc)) continue;
            result.Add(new SearchHit(result.Count + 1, doc.ExternalId, doc.Title, s.Ordinal, s.Text, s.SectionPath, s.StartSeconds, s.EndSeconds, s.Speaker, h.Score, h.Components, s.Chapter));
        }
        return new SearchResponse(request.Query, request.Mode, result, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>A retrieved segment with its score and the parts that made it.</summary>
    private sealed record RankedSegment(long DocumentId, int Ordinal, double Score, Dictionary<string, double> Components);

    /// <summary>Candidates from the mode's indexes, filtered, grouped by document when asked, best first, at most k.</summary>
    private async Task<List<RankedSegment>> RetrieveAsync(string collection, CollectionIndexes.CollectionIndex index, string query, string mode, int k, bool groupByDocument,
        Func<long, bool>? filter, CancellationToken ct)
    {
        bool lexicalOnly = mode == SearchModes.Bm25;
        // Dense modes group after fusion, so they read a deeper segment-level lexical list.
        int lexicalDepth = lexicalOnly ? k : Math.Max(Options.Depth, k * 4);
        var generation = index.Acquire();
        IReadOnlyList<LexicalHit> lexical;
        try { lexical = generation.Lexical.Search(new LexicalQuery(query, lexicalDepth, lexicalOnly && groupByDocument, filter)); }
        finally { generation.Release(); }
        var result = new List<RankedSegment>();
        if (lexicalOnly)
        {
            foreach (var h in lexical) result.Add(new RankedSegment(h.DocumentId, h.Ordinal, h.Score, LexicalComponents(h)));
            return result;
        }
        var dense = await indexes.GetDenseAsync(collection, index, ct);
        var lexicalList = lexical.Select(h => (h.DocumentId, h.Ordinal, (double)h.Score)).ToList();
        var byKey = lexical.ToDictionary(h => (h.DocumentId, h.Ordinal));
        bool situated = mode != SearchModes.Dense;
        var queryVector = HybridRetriever.QueryVector(dense, query, lexicalList, situated, Options);
        var seen = new HashSet<long>();
        void Add(long doc, int ordinal, double score, Dictionary<string, double> components)
        {
            if (result.Count >= k || (filter is not null && !filter(doc)) || (groupByDocument && !seen.Add(doc))) return;
            result.Add(new RankedSegment(doc, ordinal, score, components));
        }
        if (mode == SearchModes.Hybrid)
        {
            var fused = HybridRetriever.Hybrid(dense, queryVector, lexicalList, situated, Options);
            foreach (var f in fused.Hits)
            {
                var components = byKey.TryGetValue((f.DocumentId, f.Ordinal), out var lh) ? LexicalComponents(lh) : new Dictionary<string, double>();
                components["bm25_rank"] = f.LexicalRank;
                components["dense"] = double.IsNaN(f.DenseScore) ? 0 : f.DenseScore;
                components["dense_rank"] = f.DenseRank;
                components["dense_weight"] = fused.DenseWeight;
                Add(f.DocumentId, f.Ordinal, f.Score, components);
                if (result.Count >= k) break;
            }
            return result;
        }
        // Dense alone: filters and grouping can discard candidates, so read deeper than k.
        foreach (var (doc, ordinal, score) in HybridRetriever.Dense(dense, queryVector, Math.Max(k * 4, Options.Depth), situated))
        {
            Add(doc, ordinal, score, new Dictionary<string, double> { [mode] = score });
            if (result.Count >= k) break;
        }
        return result;
    }

    private static Dictionary<string, double> LexicalComponents(LexicalHit h) => new()
    {
        ["bm25"] = h.Score,
        ["bm25_title"] = h.Components.Title,
        ["bm25_section"] = h.Components.Section,
        ["bm25_body"] = h.Components.Body,
    };

    /// <summary>Ranked document ids only (for evaluation): one entry per document, best first.</summary>
    public async Task<IReadOnlyList<(string DocumentId, double Score)>> RankDocumentsAsync(string collection, string query, int k, string mode = SearchModes.Bm25, CancellationToken ct = default)
    {
        var index = await indexes.GetCurrentAsync(collection, ct);
        var ranked = await RetrieveAsync(collection, index, query, mode, k, groupByDocument: true, null, ct);
        var result = new List<(string, double)>(ranked.Count);
        foreach (var h in ranked)
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
