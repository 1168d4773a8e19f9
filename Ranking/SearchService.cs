using System.Diagnostics;
using Search.Indexing.Lexical;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;
using Search.Ranking.Answers;
using Search.Ranking.Hybrid;
using Search.Ranking.Reranking;
using Search.Segmentation.Analysis;

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

    /// <summary>What re-scores the hybrid candidates of <see cref="SearchModes.Ranked"/> searches; null: ranked searches answer in hybrid order and say so.</summary>
    public IRanker? Ranker { get; init; }

    /// <summary>How long a ranker may take for one query before the hybrid order is returned instead.</summary>
    public TimeSpan RankerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    private long _rankerFallbacks;

    /// <summary>Ranked searches answered in hybrid order because the ranker failed or ran out of time, since the engine opened.</summary>
    public long RankerFallbacks => Interlocked.Read(ref _rankerFallbacks);

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
            var ranked = await RetrieveAsync(collection, generation, request.Query, request.Mode, request.K, request.GroupByDocument, filter, warnings, ct);
            var keys = new List<(long, int)>(ranked.Count);
            foreach (var h in ranked) keys.Add((h.DocumentId, h.Ordinal));
            var segments = new Dictionary<(long, int), StoredSegment>(ranked.Count);
            foreach (var s in await store.GetSegmentsAsync(keys, ct)) segments[(s.DocumentId, s.Segment.Ordinal)] = s;
            var result = new List<SearchHit>(ranked.Count);
            var answers = new AnswerFinder(RankerQueryFor(generation, request.Query).TermIdf);
            foreach (var h in ranked)
            {
                // A document replaced between retrieval and this read is skipped rather than shown with the wrong passage.
                if (!segments.TryGetValue((h.DocumentId, h.Ordinal), out var stored) || !generation.Documents.TryGet(h.DocumentId, out var doc)) continue;
                var s = stored.Segment;
                result.Add(new SearchHit(result.Count + 1, doc.ExternalId, doc.Title, s.Ordinal, s.Text, s.SectionPath, s.StartSeconds, s.EndSeconds, s.Speaker, h.Score, h.Components, s.Chapter,
                    answers.Find(s.Text)));
            }
            var freshness = new IndexFreshness(generation.Id, await store.GetLastChangeAsync(collection, ct), generation.LexicalSequence, generation.DenseSequence);
            return new SearchResponse(request.Query, request.Mode, result, clock.Elapsed.TotalMilliseconds, freshness, warnings);
        }
        finally
        {
            generation.Release();
        }
    }

    /// <summary>
    /// Candidates for any mode. A ranked search takes the whole fused hybrid list, lets the ranker re-score its top
    /// <see cref="IRanker.Depth"/>, keeps the rest below them in hybrid order, and only then groups and cuts to k; a
    /// ranker that fails or runs out of time leaves the hybrid order, with a warning saying so.
    /// </summary>
    private async Task<List<RankedSegment>> RetrieveAsync(string collection, IndexGeneration generation, string query, string mode, int k, bool groupByDocument,
        Func<long, bool>? filter, List<string> warnings, CancellationToken ct)
    {
        if (mode != SearchModes.Ranked) return Retrieve(collection, generation, query, mode, k, groupByDocument, filter, warnings);
        var hybrid = Retrieve(collection, generation, query, SearchModes.Hybrid, 2 * Options.Depth, groupByDocument: false, filter, warnings);
        for (int i = 0; i < hybrid.Count; i++)
        {
            hybrid[i].Components["hybrid"] = hybrid[i].Score;
            hybrid[i].Components["hybrid_rank"] = i + 1;
        }
        var ordered = Ranker is null ? null : await RerankAsync(Ranker, generation, query, hybrid, warnings, ct);
        if (Ranker is null) warnings.Add("no ranker is configured; these are hybrid results");
        ordered ??= hybrid;
        var result = new List<RankedSegment>(Math.Min(k, ordered.Count));
        var seen = new HashSet<long>();
        foreach (var h in ordered)
        {
            if (result.Count >= k) break;
            if (groupByDocument && !seen.Add(h.DocumentId)) continue;
            result.Add(h);
        }
        return result;
    }

    /// <summary>The hybrid list with its top re-ordered by <paramref name="ranker"/>; null when the ranker failed or timed out.</summary>
    private async Task<List<RankedSegment>?> RerankAsync(IRanker ranker, IndexGeneration generation, string query, List<RankedSegment> hybrid, List<string> warnings, CancellationToken ct)
    {
        if (hybrid.Count == 0) return hybrid;
        var (candidates, top) = await CandidatesAsync(generation, hybrid, ranker.Depth, ct);
        double[] scores;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RankerTimeout);
        try
        {
            scores = await ranker.ScoreAsync(RankerQueryFor(generation, query), candidates, timeout.Token).AsTask().WaitAsync(timeout.Token);
            if (scores.Length != candidates.Count) throw new InvalidOperationException($"it returned {scores.Length} scores for {candidates.Count} candidates");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Interlocked.Increment(ref _rankerFallbacks);
            warnings.Add($"the ranker {ranker.Name} took longer than {RankerTimeout.TotalSeconds:0.#} s; these are hybrid results");
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Interlocked.Increment(ref _rankerFallbacks);
            warnings.Add($"the ranker {ranker.Name} failed ({e.Message}); these are hybrid results");
            return null;
        }
        var order = new int[top.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        // Equal scores keep the hybrid order, so the result is reproducible.
        Array.Sort(order, (a, b) => scores[b] != scores[a] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        var result = new List<RankedSegment>(hybrid.Count);
        double lowest = double.PositiveInfinity;
        for (int r = 0; r < order.Length; r++)
        {
            var h = top[order[r]];
            h.Components["ranker"] = scores[order[r]];
            h.Components["ranker_rank"] = r + 1;
            result.Add(h with { Score = scores[order[r]] });
            lowest = Math.Min(lowest, scores[order[r]]);
        }
        // The rest follow in hybrid order, their scores shifted below the lowest ranked one (a run file orders by score).
        var ranked = new HashSet<RankedSegment>(top, ReferenceEqualityComparer.Instance);
        double? firstTail = null;
        foreach (var h in hybrid)
        {
            if (ranked.Contains(h)) continue;
            firstTail ??= h.Score;
            result.Add(h with { Score = (double.IsFinite(lowest) ? lowest : 0) - 1 - (firstTail.Value - h.Score) });
        }
        return result;
    }

    /// <summary>The top <paramref name="depth"/> hybrid hits as ranker candidates, with their passages read from the store.</summary>
    private async Task<(List<RankerCandidate> Candidates, List<RankedSegment> Hits)> CandidatesAsync(IndexGeneration generation, List<RankedSegment> hybrid, int depth, CancellationToken ct)
    {
        depth = Math.Min(depth, hybrid.Count);
        var keys = new List<(long, int)>(depth);
        for (int i = 0; i < depth; i++) keys.Add((hybrid[i].DocumentId, hybrid[i].Ordinal));
        var segments = new Dictionary<(long, int), StoredSegment>(depth);
        foreach (var s in await store.GetSegmentsAsync(keys, ct)) segments[(s.DocumentId, s.Segment.Ordinal)] = s;
        var candidates = new List<RankerCandidate>(depth);
        var top = new List<RankedSegment>(depth);
        for (int i = 0; i < depth; i++)
        {
            var h = hybrid[i];
            // A segment replaced since retrieval has no passage to judge; it keeps its hybrid place below the ranked ones.
            if (!segments.TryGetValue((h.DocumentId, h.Ordinal), out var stored) || !generation.Documents.TryGet(h.DocumentId, out var doc)) continue;
            candidates.Add(Candidate(h, i + 1, stored.Segment, doc.Title, generation.Dense is { } dense ? dense.Vector(h.DocumentId, h.Ordinal, situated: false).ToArray() : []));
            top.Add(h);
        }
        return (candidates, top);
    }

    /// <summary>
    /// What a ranker would be given for <paramref name="query"/>: the query with its terms' idf and the top
    /// <paramref name="depth"/> hybrid candidates, each with its document's external id (to train rankers on judged queries).
    /// </summary>
    public async Task<(RankerQuery Query, IReadOnlyList<RankerCandidate> Candidates, IReadOnlyList<string> DocumentIds)> RankerInputAsync(string collection, string query, int depth,
        CancellationToken ct = default)
    {
        var generation = await indexes.AcquireAsync(collection, ct);
        try
        {
            var hybrid = Retrieve(collection, generation, query, SearchModes.Hybrid, depth, groupByDocument: false, null, []);
            var (candidates, _) = await CandidatesAsync(generation, hybrid, depth, ct);
            var ids = new List<string>(candidates.Count);
            foreach (var c in candidates) ids.Add(generation.Documents.TryGet(c.DocumentId, out var doc) ? doc.ExternalId : "");
            return (RankerQueryFor(generation, query), candidates, ids);
        }
        finally
        {
            generation.Release();
        }
    }

    private static RankerCandidate Candidate(RankedSegment h, int hybridRank, Segmentation.Segment s, string title, float[] vector)
    {
        var c = h.Components;
        double Get(string name) => c.TryGetValue(name, out double v) ? v : double.NaN;
        int Rank(string name) => c.TryGetValue(name, out double v) ? (int)v : 0;
        return new RankerCandidate(h.DocumentId, h.Ordinal, h.Score, hybridRank, Get("bm25"), Rank("bm25_rank"), Get("bm25_title"), Get("bm25_section"), Get("bm25_body"),
            Get("dense"), Rank("dense_rank"), IndexedForms.Text(s), title, s.SectionPath, s.Chapter?.Title, vector);
    }

    /// <summary>The query's analysed terms with their idf in the generation's lexical index (BM25's idf).</summary>
    private static RankerQuery RankerQueryFor(IndexGeneration generation, string query)
    {
        var idf = new Dictionary<string, double>(StringComparer.Ordinal);
        long n = generation.Lexical.SegmentCount;
        var terms = new List<string>(1);
        foreach (string raw in RankerQuery.Words(query))
        {
            terms.Clear();
            Analyzer.English.Analyze(raw, terms);
            if (terms.Count == 0 || idf.ContainsKey(terms[0])) continue;
            long df = generation.Lexical.SegmentFrequency(raw);
            idf[terms[0]] = Math.Log(1 + (n - df + 0.5) / (df + 0.5));
        }
        return new RankerQuery(query, idf);
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
            var ranked = await RetrieveAsync(collection, generation, query, mode, k, groupByDocument: true, null, [], ct);
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
