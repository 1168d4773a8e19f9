using System.Text.Json;

namespace Search.Evaluation.Retrieval;

/// <summary>A BEIR-layout test collection: corpus.jsonl, queries.jsonl and qrels/test.tsv.</summary>
public sealed class BeirDataset
{
    /// <summary>The folder it was read from.</summary>
    public required string Directory { get; init; }

    /// <summary>Query text by id (all queries, judged or not).</summary>
    public required IReadOnlyDictionary<string, string> Queries { get; init; }

    /// <summary>Grades by query id then document id.</summary>
    public required IReadOnlyDictionary<string, Dictionary<string, int>> Qrels { get; init; }

    /// <summary>The corpus file, streamed when ingested.</summary>
    public string CorpusPath => Path.Combine(Directory, "corpus.jsonl");

    /// <summary>Reads queries and qrels and checks that the corpus exists; throws <see cref="FormatException"/> or <see cref="FileNotFoundException"/> with the offending file and line.</summary>
    public static BeirDataset Load(string directory)
    {
        string corpus = Path.Combine(directory, "corpus.jsonl"), queries = Path.Combine(directory, "queries.jsonl"), qrels = Path.Combine(directory, "qrels", "test.tsv");
        foreach (var f in new[] { corpus, queries, qrels })
            if (!File.Exists(f)) throw new FileNotFoundException($"{f} is missing (a BEIR folder has corpus.jsonl, queries.jsonl and qrels/test.tsv)", f);
        var q = new Dictionary<string, string>(StringComparer.Ordinal);
        int line = 0;
        foreach (var text in File.ReadLines(queries))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                string id = root.GetProperty("_id").ValueKind == JsonValueKind.Number ? root.GetProperty("_id").GetRawText() : root.GetProperty("_id").GetString()!;
                q[id] = root.GetProperty("text").GetString() ?? "";
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new FormatException($"{queries}:{line}: expected {{\"_id\": ..., \"text\": ...}} ({e.Message})");
            }
        }
        var r = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        line = 0;
        foreach (var text in File.ReadLines(qrels))
        {
            line++;
            var parts = text.Split('\t');
            if (line == 1 && !int.TryParse(parts[^1], out _)) continue; // header
            if (parts.Length < 3) continue;
            if (!int.TryParse(parts[2], out int grade)) throw new FormatException($"{qrels}:{line}: the score '{parts[2]}' is not an integer");
            if (!r.TryGetValue(parts[0], out var d)) r[parts[0]] = d = new Dictionary<string, int>(StringComparer.Ordinal);
            d[parts[1]] = grade;
        }
        return new BeirDataset { Directory = directory, Queries = q, Qrels = r };
    }
}
