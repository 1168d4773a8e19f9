using System.Diagnostics;
using System.Text.Json;
using Search.Indexing.Extraction;
using Search.Ranking;
using Search.Segmentation;

namespace Search.Evaluation.Spans;

/// <summary>The result of a span evaluation.</summary>
/// <param name="Metrics">Of the hits as the product points to them: each hit's answering turns (its whole segment when it has no answer span).</param>
/// <param name="SegmentMetrics">Of the hits as whole segments.</param>
public sealed record SpanEvaluationReport(SpanMetricValues Metrics, SpanMetricValues SegmentMetrics, int Documents, int Segments, double IndexSeconds, double EmbedSeconds, QueryLatencies Latencies, string Mode,
    string Embedder);

/// <summary>
/// <c>./search eval-spans</c>: ingests meeting transcripts (documents.jsonl with speaker turns) through
/// the real ingestion path and segmenter, answers every query (queries.jsonl) with the top 10 segments
/// of the whole collection, maps each hit's answer span (else the whole segment) back to the turns it covers, writes the run
/// (<c>{"query", "hits": [{"doc", "first_turn", "last_turn", "score"}]}</c> a line) and scores it against
/// qrels.jsonl as the shared span scorer does.
/// </summary>
public static class SpanEvaluator
{
    /// <summary>Runs the evaluation in <paramref name="engine"/>'s store under a new collection; with <paramref name="dumpDirectory"/> the judged queries' candidates are dumped there (<see cref="CandidateDump"/>).</summary>
    public static async Task<SpanEvaluationReport> RunAsync(SearchEngine engine, string dataDirectory, string mode, string runPath, IProgress<(int Done, int Total)>? progress, CancellationToken ct,
        string? dumpDirectory = null)
    {
        if (!SearchModes.All.Contains(mode)) throw new ArgumentException($"unknown mode '{mode}'; supported: {string.Join(", ", SearchModes.All)}");
        string documentsPath = Path.Combine(dataDirectory, "documents.jsonl"), queriesPath = Path.Combine(dataDirectory, "queries.jsonl"), qrelsPath = Path.Combine(dataDirectory, "qrels.jsonl");
        foreach (var p in new[] { documentsPath, queriesPath, qrelsPath })
            if (!File.Exists(p)) throw new FileNotFoundException($"{p}: missing (a span set has documents.jsonl, queries.jsonl and qrels.jsonl)");
        await WarmUpAsync(engine, documentsPath, queriesPath, mode, ct);
        var (collection, turnsOf, documents, segments, indexSeconds) = await IngestAsync(engine, documentsPath, progress, ct);
        double embedSeconds;
        string embedder;
        var generation = await engine.Indexes.AcquireAsync(collection, ct);
        try
        {
            embedSeconds = generation.DenseStage?.Busy.TotalSeconds ?? 0;
            embedder = generation.DenseStage?.EmbedderName ?? "";
        }
        finally { generation.Release(); }

        var qrels = ReadQrels(qrelsPath);
        var run = new Dictionary<string, List<SpanHit>>();
        var segmentRun = new Dictionary<string, List<SpanHit>>();
        var latencies = new QueryLatencies();
        long fallbacks = engine.Search.RankerFallbacks;
        var judged = new List<(string, string)>();
        await using (var writer = new StreamWriter(runPath))
        {
            foreach (var line in File.ReadLines(queriesPath))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var q = JsonDocument.Parse(line);
                string qid = q.RootElement.GetProperty("_id").GetString()!, text = q.RootElement.GetProperty("text").GetString()!;
                if (!qrels.ContainsKey(qid)) continue;
                judged.Add((qid, text));
                var timer = Stopwatch.StartNew();
                var response = await engine.Search.SearchAsync(collection, new SearchRequest(text, K: 10, Mode: mode), ct);
                latencies.Add(timer.Elapsed.TotalMilliseconds);
                if (latencies.FirstRepeated == 0)
                {
                    var again = Stopwatch.StartNew();
                    long before = engine.Search.RankerFallbacks;
                    await engine.Search.SearchAsync(collection, new SearchRequest(text, K: 10, Mode: mode), ct);
                    fallbacks += engine.Search.RankerFallbacks - before; // the repeat is not one of the evaluated queries
                    latencies.FirstRepeated = again.Elapsed.TotalMilliseconds;
                }
                // The run holds what the product points to: the answering turns of each hit, else the whole segment.
                var hits = new List<SpanHit>();
                var whole = new List<SpanHit>();
                foreach (var h in response.Hits)
                {
                    if (!turnsOf.TryGetSegment(h.DocumentId, h.Segment, out var t)) continue;
                    whole.Add(new SpanHit(h.DocumentId, t.First, t.Last, h.Score));
                    if (h.Answer is { } answer) t = turnsOf.Answer(h.DocumentId, h.Segment, answer);
                    hits.Add(new SpanHit(h.DocumentId, t.First, t.Last, h.Score));
                }
                run[qid] = hits;
                segmentRun[qid] = whole;
                writer.Write(JsonSerializer.Serialize(new
                {
                    query = qid,
                    hits = hits.Select(x => new { doc = x.Document, first_turn = x.FirstTurn, last_turn = x.LastTurn, score = x.Score }),
                }));
                writer.Write('\n');
            }
        }
        latencies.RankerFallbacks = engine.Search.RankerFallbacks - fallbacks;
        if (dumpDirectory is not null)
            await CandidateDump.WriteAsync(engine, collection, judged, (doc, ordinal) => turnsOf.TryGetSegment(doc, ordinal, out var t) ? t : null, dumpDirectory, ct);
        return new SpanEvaluationReport(SpanMetrics.Evaluate(qrels, run), SpanMetrics.Evaluate(qrels, segmentRun), documents, segments, indexSeconds, embedSeconds, latencies, mode, embedder);
    }

    /// <summary>The product path once, on a throwaway collection of the first meetings, before anything is timed (see <see cref="ScratchEngine.WarmUpAsync"/>).</summary>
    private static async Task WarmUpAsync(SearchEngine engine, string documentsPath, string queriesPath, string mode, CancellationToken ct)
    {
        const int meetings = 2, queries = 5;
        var documents = new List<JsonDocumentInput>();
        foreach (var line in File.ReadLines(documentsPath))
        {
            if (documents.Count == meetings) break;
            if (!string.IsNullOrWhiteSpace(line)) documents.Add(JsonDocumentReader.Parse(line, documentsPath, ""));
        }
        var texts = new List<string>();
        foreach (var line in File.ReadLines(queriesPath))
        {
            if (texts.Count == queries) break;
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var q = JsonDocument.Parse(line);
            texts.Add(q.RootElement.GetProperty("text").GetString()!);
        }
        await ScratchEngine.WarmUpAsync(engine, documents, texts, mode, ct);
    }

    /// <summary>The report as the JSON last line of the verb.</summary>
    public static string ToJson(SpanEvaluationReport r) => JsonSerializer.Serialize(Json(r));

    private static Dictionary<string, object> Json(SpanEvaluationReport r)
    {
        var json = new Dictionary<string, object>
        {
            ["ndcg@10"] = r.Metrics.Ndcg10,
            ["ndcg@10_once"] = r.Metrics.Ndcg10Once,
            ["hit@10"] = r.Metrics.Hit10,
            ["recall@10"] = r.Metrics.Recall10,
            ["dochit@1"] = r.Metrics.DocHit1,
            ["turns_per_hit"] = r.Metrics.TurnsPerHit,
            ["n_ndcg_gt1"] = r.Metrics.NdcgAboveOne,
            ["segment_ndcg@10"] = r.SegmentMetrics.Ndcg10,
            ["segment_ndcg@10_once"] = r.SegmentMetrics.Ndcg10Once,
            ["segment_hit@10"] = r.SegmentMetrics.Hit10,
            ["segment_recall@10"] = r.SegmentMetrics.Recall10,
            ["segment_turns_per_hit"] = r.SegmentMetrics.TurnsPerHit,
            ["queries"] = r.Metrics.Queries,
            ["documents"] = r.Documents,
            ["segments"] = r.Segments,
            ["index_seconds"] = Math.Round(r.IndexSeconds, 3),
            ["embed_seconds"] = Math.Round(r.EmbedSeconds, 3),
            ["embedder"] = r.Embedder,
        };
        r.Latencies.AddTo(json);
        json["mode"] = r.Mode;
        return json;
    }

    // The turn index of each block the reader keeps: it drops turns whose text is empty after collapsing white space.
    private static List<int> BlockTurns(string line, string where)
    {
        using var doc = JsonDocument.Parse(line);
        var result = new List<int>();
        int index = 0;
        foreach (var turn in doc.RootElement.GetProperty("turns").EnumerateArray())
        {
            string text = turn.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            if (TextDecoding.CollapseWhitespace(text).Length > 0) result.Add(index);
            index++;
        }
        if (result.Count == 0) throw new FormatException($"{where}: the meeting has no turns with text");
        return result;
    }

    /// <summary>
    /// Ingests every meeting of <paramref name="documentsPath"/> into a new collection, runs its indexing pipeline until
    /// every stage is current, and maps each (meeting, segment ordinal) to the turns the segment covers.
    /// </summary>
    public static async Task<(string Collection, TranscriptTurns Turns, int Documents, int Segments, double IndexSeconds)> IngestAsync(
        SearchEngine engine, string documentsPath, IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        string collection = "spans-" + Guid.NewGuid().ToString("N")[..8];
        await engine.Store.CreateCollectionAsync(collection, ct: ct);
        var clock = Stopwatch.StartNew();
        var turnsOf = new TranscriptTurns();
        var lines = File.ReadAllLines(documentsPath);
        int documents = 0, segments = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            string where = $"{documentsPath}:{i + 1}";
            var input = JsonDocumentReader.Parse(lines[i], where, "");
            string id = input.Id ?? throw new FormatException($"{where}: a meeting needs an '_id'");
            await engine.Ingestion.StoreAsync(collection, input.Document, id, explicitId: true, input.MetadataJson, input.Source, ct);
            var blockTurns = BlockTurns(lines[i], where);
            if (blockTurns.Count != input.Document.Blocks.Count) throw new FormatException($"{where}: turns and blocks disagree");
            string text = DocumentText.Compose(input.Document.Blocks, out int[] blockStarts);
            turnsOf.AddMeeting(id, blockStarts, blockTurns);
            var stored = await engine.Store.GetDocumentAsync(collection, id, ct) ?? throw new InvalidOperationException($"{id} was not stored");
            foreach (var segment in await engine.Store.GetSegmentsAsync([stored.Id], ct))
            {
                var s = segment.Segment;
                // An answer's offsets are in the segment's text, which maps to turns only where it is the meeting's text at the segment's place.
                bool verbatim = s.StartChar + s.Text.Length <= text.Length && string.CompareOrdinal(text, s.StartChar, s.Text, 0, s.Text.Length) == 0;
                turnsOf.AddSegment(id, s.Ordinal, s.StartChar, s.EndChar, verbatim);
                segments++;
            }
            documents++;
            progress?.Report((i + 1, lines.Length));
        }
        await engine.Indexes.CatchUpAsync(collection, ct);
        return (collection, turnsOf, documents, segments, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Each judged query's meeting and relevant turn spans.</summary>
    public static Dictionary<string, (string Document, List<(int First, int Last)> Spans)> ReadQrels(string path)
    {
        var qrels = new Dictionary<string, (string, List<(int, int)>)>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var spans = new List<(int, int)>();
            foreach (var s in root.GetProperty("spans").EnumerateArray()) spans.Add((s[0].GetInt32(), s[1].GetInt32()));
            qrels[root.GetProperty("query").GetString()!] = (root.GetProperty("doc").GetString()!, spans);
        }
        return qrels;
    }
}
