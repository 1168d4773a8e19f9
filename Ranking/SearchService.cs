using System.Diagnostics;
using Search.Indexing.Lexical;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;
using Search.Ranking.Hybrid;

namespace Search.Ranking;

/// <summary>
/// Answers search requests over a collection: retrieves from a snapshot of its serving generation, applies filters,
/// and attaches each hit's passage and place. It only reads: what the indexing pipeline has not applied yet is
/// reported (<see cref="SearchResponse.Index"/>), never waited for, and a dense side not built yet is said so.
/// </summary>
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
        var generation = await indexes.AcquireAsync(collection, ct);
        try
        {
            Func<long, bool>? filter = request.Filters is { Count: > 0 } filters
                ? id => generation.Documents.TryGet(id, out var info) && SearchFilters.Matches(info.Metadata, filters)
                : null;
            var warnings = new List<string>();
            var ranked = Retrieve(collection, generation, request.Query, request.Mode, request.K, request.GroupByDocument, filter, warnings);
            var keys = new List<(long, int)>(ranked.Count);
            foreach (var h in ranked) keys.Add((h.DocumentId, h.Ordinal));
            var segments = new Dictionary<(long, int), StoredSegment>(ranked.Count);
            foreach (var s in await store.GetSegmentsAsync(keys, ct)) segments[(s.DocumentId, s.Segment.Ordinal)] = s;
            var result = new List<SearchHit>(ranked.Count);
            foreach (var h in ranked)
            {
                // A document replaced between retrieval and this read is skipped rather than shown with the wrong passage.
                if (!segments.TryGetValue((h.DocumentId, h.Ordinal), out var stored) || !generation.Documents.TryGet(h.DocumentId, out var doc)) continue;
                var s = stored.Segment;
                result.Add(new SearchHit(result.Count + 1, doc.ExternalId, doc.Title, s.Ordinal, s.Text, s.SectionPath, s.StartSeconds, s.EndSeconds, s.Speaker, h.Score, h.Components, s.Chapter));
            }
            var freshness = new IndexFreshness(generation.Id, await store.GetLastChangeAsync(collection, ct), generation.LexicalSequence, generation.DenseSequence);
            return new SearchResponse(request.Query, request.Mode, result, clock.Elapsed.TotalMilliseconds, freshness, warnings);
        }
        finally
        {
            generation.Release();
        }
    }

    /// <summary>A retrieved segment with its score and the parts that made it.</summary>
    private sealed record RankedSegment(long DocumentId, int Ordinal, double Score, Dictionary<string, double> Components);

    /// <summary>Candidates from the mode's indexes, filtered, grouped by document when asked, best first, at most k.</summary>
    private List<RankedSegment> Retrieve(string collection, IndexGeneration generation, string query, string mode, int k, bool groupByDocument,
        Func<long, bool>? filter, List<string> warnings)
    {
        var dense = mode == SearchModes.Bm25 ? null : generation.Dense;
        if (mode != SearchModes.Bm25 && dense is null)
        {
            warnings.Add($"the dense index of '{collection}' is not built yet; " + (mode == SearchModes.Hybrid ? "these are BM25 results alone" : "no results until it is"));
            if (mode != SearchModes.Hybrid) return [];
        }
        bool lexicalOnly = dense is null;
        // Dense modes group after fusion, so they read a deeper segment-level lexical list, always as deep: its score
        // moments normalise the fusion, and a request's k must not change the order of its top hits.
        int lexicalDepth = lexicalOnly ? k : Options.Depth;
        var lexical = generation.Lexical.Search(new LexicalQuery(query, lexicalDepth, lexicalOnly && groupByDocument, filter));
        var result = new List<RankedSegment>();
        if (dense is null)
        {
            foreach (var h in lexical) result.Add(new RankedSegment(h.DocumentId, h.Ordinal, h.Score, LexicalComponents(h)));
            return result;
        }
        var lexicalList = new List<(long, int, double)>(lexical.Count);
        var byKey = new Dictionary<(long, int), LexicalHit>(lexical.Count);
        foreach (var h in lexical)
        {
            lexicalList.Add((h.DocumentId, h.Ordinal, h.Score));
            byKey[(h.DocumentId, h.Ordinal)] = h;
        }
        bool situated = mode == SearchModes.Situated;
        var queryVector = HybridRetriever.QueryVector(dense, query, lexicalList, situated, mode == SearchModes.Hybrid ? 0 : Options.FeedbackDocuments, Options);
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
                var components = byKey.TryGetValue((f.DocumentId, f.Ordinal), out var lh) ? LexicalComponents(lh) : [];
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
        var generation = await indexes.AcquireAsync(collection, ct);
        try
        {
            var ranked = Retrieve(collection, generation, query, mode, k, groupByDocument: true, null, []);
            var result = new List<(string, double)>(ranked.Count);
            foreach (var h in ranked)
                if (generation.Documents.TryGet(h.DocumentId, out var doc)) result.Add((doc.ExternalId, h.Score));
            return result;
        }
        finally
        {
            generation.Release();
        }
    }

    private static void Validate(SearchRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Query)) throw new ArgumentException("the query 'q' is empty");
        if (request.Query.Length > 10_000) throw new ArgumentException("the query is longer than 10,000 characters");
        if (request.K is < 1 or > MaxK) throw new ArgumentException($"k must be between 1 and {MaxK}");
        if (!SearchModes.All.Contains(request.Mode)) throw new ArgumentException($"unknown mode '{request.Mode}'; supported: {string.Join(", ", SearchModes.All)}");
    }
}
