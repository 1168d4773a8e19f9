using System.Runtime.InteropServices;
using System.Text.Json;
using Search.Indexing.Lexical;
using Search.Indexing.Pipeline;
using Search.Ranking;

namespace Search.Evaluation;

/// <summary>
/// Writes what fusion and situating are tuned on, so settings can be searched offline (tools/fusion_tune.py) without
/// embedding again: every segment of an evaluated collection (document, place, text, and the turns it covers in a
/// transcript) with its plain and situated vectors, and every query with its own vector and its BM25 candidates.
/// </summary>
public static class CandidateDump
{
    /// <summary>BM25 candidates kept per query: the depth hybrid retrieval reads.</summary>
    public const int LexicalDepth = 1000;

    /// <summary>
    /// Dumps <paramref name="collection"/> and <paramref name="queries"/> into <paramref name="directory"/>: segments.jsonl,
    /// plain.f32 and situated.f32 (little-endian float32 rows in segments.jsonl's order), queries.jsonl (id, text, base64
    /// float32 vector, BM25 candidates as [row, score]). <paramref name="turns"/> maps a segment to the turns it covers, where the set has turns.
    /// </summary>
    public static async Task WriteAsync(SearchEngine engine, string collection, IReadOnlyList<(string Id, string Text)> queries,
        Func<string, int, (int First, int Last)?>? turns, string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var generation = await engine.Indexes.AcquireAsync(collection, ct);
        try
        {
            var dense = generation.Dense ?? throw new InvalidOperationException("the collection has no dense index to dump");
            var rows = new Dictionary<(long, int), int>();
            await using (var segments = new StreamWriter(Path.Combine(directory, "segments.jsonl")))
            await using (var plain = File.Create(Path.Combine(directory, "plain.f32")))
            await using (var situated = File.Create(Path.Combine(directory, "situated.f32")))
            {
                for (int offset = 0; ; offset += 500)
                {
                    var documents = await engine.Store.ListDocumentsAsync(collection, offset, 500, ct);
                    if (documents.Count == 0) break;
                    var ids = new List<long>(documents.Count);
                    foreach (var d in documents) ids.Add(d.Id);
                    var byId = documents.ToDictionary(d => d.Id);
                    var stored = new List<Indexing.Storage.StoredSegment>(await engine.Store.GetSegmentsAsync(ids, ct));
                    stored.Sort((a, b) => a.DocumentId != b.DocumentId ? a.DocumentId.CompareTo(b.DocumentId) : a.Segment.Ordinal.CompareTo(b.Segment.Ordinal));
                    foreach (var s in stored)
                    {
                        var document = byId[s.DocumentId];
                        float[] p = dense.Vector(s.DocumentId, s.Segment.Ordinal, situated: false).ToArray();
                        float[] q = dense.Vector(s.DocumentId, s.Segment.Ordinal, situated: true).ToArray();
                        if (p.Length == 0 || q.Length == 0) throw new InvalidOperationException($"segment {s.Segment.Ordinal} of '{document.ExternalId}' has no vector");
                        var span = turns?.Invoke(document.ExternalId, s.Segment.Ordinal);
                        rows[(s.DocumentId, s.Segment.Ordinal)] = rows.Count;
                        await segments.WriteLineAsync(JsonSerializer.Serialize(new
                        {
                            doc = document.ExternalId,
                            ordinal = s.Segment.Ordinal,
                            title = document.Title,
                            place = IndexedForms.Place(s.Segment),
                            text = IndexedForms.Text(s.Segment),
                            first_turn = span?.First ?? -1,
                            last_turn = span?.Last ?? -1,
                        }));
                        plain.Write(MemoryMarshal.AsBytes(p.AsSpan()));
                        situated.Write(MemoryMarshal.AsBytes(q.AsSpan()));
                    }
                }
            }
            await using var output = new StreamWriter(Path.Combine(directory, "queries.jsonl"));
            foreach (var (id, text) in queries)
            {
                var vector = dense.Embedder.EmbedQuery(text);
                var lexical = generation.Lexical.Search(new LexicalQuery(text, LexicalDepth));
                var candidates = new List<double[]>(lexical.Count);
                foreach (var h in lexical) candidates.Add([rows[(h.DocumentId, h.Ordinal)], h.Score]);
                await output.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    id,
                    text,
                    vector = Convert.ToBase64String(MemoryMarshal.AsBytes(vector.AsSpan())),
                    bm25 = candidates,
                }));
            }
        }
        finally
        {
            generation.Release();
        }
    }
}
