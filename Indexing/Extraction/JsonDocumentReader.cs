using System.Text.Json;
using Search.Segmentation;

namespace Search.Indexing.Extraction;

/// <summary>A document given as JSON, with the id, metadata and source it names.</summary>
public sealed record JsonDocumentInput(string? Id, ExtractedDocument Document, string MetadataJson, string? Source);

/// <summary>
/// Reads documents given as JSON: <c>{"id"|"_id", "title", "text", "metadata"}</c> (a BEIR corpus row is one),
/// or a transcript: a list of <c>{start, end, speaker, text}</c>, bare or under "segments" / "turns" / "utterances".
/// </summary>
public static class JsonDocumentReader
{
    /// <summary>Parses one document from JSON text; <paramref name="where"/> names the input in error messages.</summary>
    public static JsonDocumentInput Parse(string json, string where, string fallbackTitle)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            return Read(doc.RootElement, where, fallbackTitle);
        }
        catch (JsonException e)
        {
            throw new ExtractionException($"{where}: malformed JSON ({e.Message})");
        }
    }

    /// <summary>Reads one document from a parsed JSON value.</summary>
    public static JsonDocumentInput Read(JsonElement root, string where, string fallbackTitle)
    {
        if (root.ValueKind == JsonValueKind.Array) return new(null, Transcript(root, where, fallbackTitle), "{}", null);
        if (root.ValueKind != JsonValueKind.Object) throw new ExtractionException($"{where}: expected a JSON object or array, got {root.ValueKind}");

        string? id = OptionalString(root, "_id", where, numbers: true) ?? OptionalString(root, "id", where, numbers: true) ?? OptionalString(root, "external_id", where, numbers: true);
        if (id is not null) DocumentIds.Check(id, where);
        string title = TextDecoding.CollapseWhitespace(OptionalString(root, "title", where) ?? "");
        string? source = OptionalString(root, "source", where);
        string metadata = "{}";
        if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind != JsonValueKind.Null)
        {
            if (meta.ValueKind != JsonValueKind.Object) throw new ExtractionException($"{where}: 'metadata' must be a JSON object");
            metadata = meta.GetRawText();
        }
        foreach (var name in new[] { "segments", "turns", "utterances" })
        {
            if (root.TryGetProperty(name, out var list))
            {
                var transcript = Transcript(list, where, title.Length > 0 ? title : fallbackTitle);
                return new(id, transcript, metadata, source);
            }
        }
        string text = OptionalString(root, "text", where) ?? throw new ExtractionException($"{where}: a document needs a 'text' string (or a transcript 'segments' list)");
        var blocks = new List<TextBlock>();
        foreach (var p in PlainTextExtractor.SplitParagraphs(text)) blocks.Add(new TextBlock(BlockKind.Paragraph, p, []));
        if (blocks.Count == 0 && title.Length == 0) throw new ExtractionException($"{where}: the document has no text and no title");
        // A row with a title and empty text (Cranfield has two) is still a document: its title is findable.
        return new(id, new ExtractedDocument(title.Length > 0 ? title : fallbackTitle, "application/json", DocumentKind.Prose, blocks), metadata, source);
    }

    /// <summary>A string field (or, for ids, a number written as it appears); a wrong type or text that is not valid Unicode is the caller's error.</summary>
    private static string? OptionalString(JsonElement obj, string name, string where, bool numbers = false)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (numbers && v.ValueKind == JsonValueKind.Number) return v.GetRawText();
        if (v.ValueKind != JsonValueKind.String) throw new InvalidDocumentException($"{where}: '{name}' must be a string, not {v.ValueKind.ToString().ToLowerInvariant()}");
        try
        {
            return v.GetString();
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape ("\ud800") or invalid UTF-8 inside the string.
            throw new InvalidDocumentException($"{where}: '{name}' is not valid Unicode text");
        }
    }

    private static ExtractedDocument Transcript(JsonElement list, string where, string title)
    {
        if (list.ValueKind != JsonValueKind.Array) throw new ExtractionException($"{where}: transcript segments must be a JSON array");
        var blocks = new List<TextBlock>();
        double last = 0;
        int index = 0;
        foreach (var item in list.EnumerateArray())
        {
            string at = $"{where}: segment {index++}";
            if (item.ValueKind != JsonValueKind.Object) throw new ExtractionException($"{at}: expected an object with start, end, speaker, text");
            string text = TextDecoding.CollapseWhitespace(OptionalString(item, "text", at) ?? OptionalString(item, "content", at) ?? "");
            double? start = Time(item, "start", at);
            double? end = Time(item, "end", at);
            string? speaker = OptionalString(item, "speaker", at);
            if (text.Length == 0) continue;
            if (start is double s)
            {
                if (s < last) s = last; // keep times monotone
                last = s;
                start = s;
                if (end is double e && e < s) end = s;
            }
            blocks.Add(new TextBlock(BlockKind.Cue, text, [], 0, start, end, string.IsNullOrWhiteSpace(speaker) ? null : speaker.Trim()));
        }
        if (blocks.Count == 0) throw new ExtractionException($"{where}: the transcript has no text");
        return new ExtractedDocument(title, "application/json", DocumentKind.Transcript, blocks);
    }

    private static double? Time(JsonElement item, string name, string where)
    {
        if (!item.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d >= 0 && double.IsFinite(d)) return d;
        if (v.ValueKind == JsonValueKind.String && TranscriptText.ParseTime(v.GetString()!) is double t) return t;
        throw new ExtractionException($"{where}: '{name}' must be a time in seconds or hh:mm:ss");
    }
}
