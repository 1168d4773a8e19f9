namespace Search.Indexing.Extraction;

/// <summary>Finds the extractor for a file by its extension.</summary>
public sealed class ExtractorRegistry
{
    /// <summary>Extensions read as JSON documents (one per file) and as JSON lines (one document per line).</summary>
    public static readonly IReadOnlyList<string> JsonExtensions = [".json"];

    /// <summary>Extensions of files with one JSON document per line (NDJSON, BEIR corpus.jsonl).</summary>
    public static readonly IReadOnlyList<string> JsonLinesExtensions = [".jsonl", ".ndjson"];

    private readonly Dictionary<string, IExtractor> _byExtension = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The registry with every built-in format.</summary>
    public static ExtractorRegistry Default { get; } = new(new PlainTextExtractor(), new MarkdownExtractor(), new HtmlExtractor(),
        new DocxExtractor(), new PdfExtractor(), new SubtitleExtractor());

    /// <summary>Creates a registry from extractors; a later one wins an extension.</summary>
    public ExtractorRegistry(params IExtractor[] extractors)
    {
        foreach (var e in extractors)
            foreach (var ext in e.Extensions) _byExtension[ext] = e;
    }

    /// <summary>Every extension that can be ingested, sorted.</summary>
    public IReadOnlyList<string> SupportedExtensions
    {
        get
        {
            var all = new List<string>(_byExtension.Keys);
            all.AddRange(JsonExtensions);
            all.AddRange(JsonLinesExtensions);
            all.Sort(StringComparer.Ordinal);
            return all;
        }
    }

    /// <summary>True when files with this extension can be ingested.</summary>
    public bool Supports(string extension) =>
        _byExtension.ContainsKey(extension) || JsonExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase)
        || JsonLinesExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase);

    /// <summary>The extractor for an extension; throws <see cref="ExtractionException"/> naming the supported ones.</summary>
    public IExtractor For(string fileName)
    {
        string ext = Path.GetExtension(fileName).ToLowerInvariant();
        if (_byExtension.TryGetValue(ext, out var e)) return e;
        throw new ExtractionException($"{fileName}: unsupported format '{(ext.Length == 0 ? "(no extension)" : ext)}'; supported: {string.Join(", ", SupportedExtensions)}");
    }
}
