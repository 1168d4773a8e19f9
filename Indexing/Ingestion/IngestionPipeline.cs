using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Search.Indexing.Extraction;
using Search.Indexing.Storage;
using Search.Segmentation;
using Search.Indexing.Statistics;
using Search.Segmentation.Structure;

namespace Search.Indexing.Ingestion;

/// <summary>Limits that protect the service from oversized input.</summary>
/// <param name="MaxDocumentBytes">The largest file (or JSON line) accepted as one document; 32 MiB holds a long book many times over.</param>
public sealed record IngestionOptions(long MaxDocumentBytes = 32L << 20)
{
    /// <summary>Where server-side paths may be read from (unrestricted: the command line's own files).</summary>
    public IngestRoots Roots { get; init; } = IngestRoots.Unrestricted;

    /// <summary>
    /// The largest bulk request body (NDJSON documents, or a paths list): its lines are held until the task is stored,
    /// so this bounds what one request costs in memory; larger imports are split into several tasks.
    /// </summary>
    public long MaxBulkBodyBytes { get; init; } = 64L << 20;

    /// <summary>How much work extracting one document may take.</summary>
    public ExtractionLimits Extraction { get; init; } = ExtractionLimits.Default;

    /// <summary>How far one request's globs and directories may be walked.</summary>
    public PathExpansionLimits PathLimits { get; init; } = new();
}

/// <summary>What happened to one ingested document, and the change sequence after which it is what it is now (what to wait for before it is searchable).</summary>
public sealed record IngestOutcome(string ExternalId, WriteOutcome Outcome, StoredDocument Document, long Sequence);

/// <summary>The result for one document of a file: an outcome, or the error that stopped it.</summary>
public sealed record IngestResult(string Item, IngestOutcome? Outcome, string? Error);

/// <summary>
/// The path of a document into the store: extract text and structure, segment, hash, and write the
/// document with its segments in one transaction. Indexes follow from the store's change log.
/// Segmentation is a function of the document and the statistics its collection has published
/// (<paramref name="statistics"/>; none when null), so every process cuts a document the same way.
/// </summary>
public sealed class IngestionPipeline(IDocumentStore store, ExtractorRegistry extractors, ISegmenter segmenter, IngestionOptions options,
    PublishedStatistics? statistics = null)
{
    private static readonly JsonSerializerOptions StructureJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The formats this pipeline reads.</summary>
    public ExtractorRegistry Extractors => extractors;

    /// <summary>The size limits in force.</summary>
    public IngestionOptions Options => options;

    /// <summary>Ingests a file from disk: one document, or one per line for JSON lines files. Bad rows are reported, the rest go on.</summary>
    public async Task<IReadOnlyList<IngestResult>> IngestFileAsync(string collection, string path, CancellationToken ct = default)
    {
        var (fullPath, documentId) = options.Roots.Resolve(path);
        var info = new FileInfo(fullPath);
        if (!info.Exists)
            throw new ExtractionException(Directory.Exists(fullPath) ? $"{path}: is a directory" : $"{path}: file not found");
        string ext = info.Extension.ToLowerInvariant();
        if (ExtractorRegistry.JsonLinesExtensions.Contains(ext)) return await IngestJsonLinesAsync(collection, fullPath, ct);
        if (!extractors.Supports(ext)) extractors.For(fullPath); // throws the unsupported-format message
        CheckSize(info.Length, path);
        byte[] bytes = await File.ReadAllBytesAsync(fullPath, ct);
        var outcome = await IngestBytesAsync(collection, documentId, bytes, new UploadFields(documentId, false, null, null), ct);
        return [new IngestResult(path, outcome, null)];
    }

    /// <summary>Fields a caller may set on an uploaded file.</summary>
    /// <param name="Id">The document id; when null the file name is used.</param>
    /// <param name="ExplicitId">Whether the id was named by the caller.</param>
    public sealed record UploadFields(string? Id, bool ExplicitId, string? Title, string? MetadataJson);

    /// <summary>Ingests the bytes of one file, its format chosen by the file name's extension.</summary>
    public async Task<IngestOutcome> IngestBytesAsync(string collection, string fileName, ReadOnlyMemory<byte> content, UploadFields fields, CancellationToken ct = default)
    {
        CheckSize(content.Length, fileName);
        string ext = Path.GetExtension(fileName).ToLowerInvariant();
        string metadata = ValidateMetadata(fields.MetadataJson, fileName);
        if (ExtractorRegistry.JsonExtensions.Contains(ext) || ExtractorRegistry.JsonLinesExtensions.Contains(ext))
        {
            var input = JsonDocumentReader.Parse(TextDecoding.DecodeUtf8(content.Span, fileName), fileName, Path.GetFileNameWithoutExtension(fileName));
            if (fields.MetadataJson is not null) input = input with { MetadataJson = metadata };
            if (fields.Title is { Length: > 0 } t) input = input with { Document = input.Document with { Title = t } };
            bool explicitId = fields.ExplicitId || input.Id is not null;
            return await IngestJsonAsync(collection, input with { Id = fields.ExplicitId ? fields.Id : input.Id ?? fields.Id }, explicitId, ct);
        }
        var document = extractors.For(fileName).Extract(new SourceInput(fileName, content) { Limits = options.Extraction });
        if (fields.Title is { Length: > 0 } title) document = document with { Title = title };
        return await StoreAsync(collection, document, fields.Id ?? Path.GetFileName(fileName), fields.ExplicitId, metadata, fileName, ct);
    }

    /// <summary>Ingests a document given as JSON; without an id, its content hash names it.</summary>
    public Task<IngestOutcome> IngestJsonAsync(string collection, JsonDocumentInput input, bool explicitId, CancellationToken ct = default)
    {
        string metadata = ValidateMetadata(input.MetadataJson, input.Id ?? "document");
        return StoreAsync(collection, input.Document, input.Id, explicitId && input.Id is not null, metadata, input.Source, ct);
    }

    private async Task<IReadOnlyList<IngestResult>> IngestJsonLinesAsync(string collection, string path, CancellationToken ct)
    {
        var results = new List<IngestResult>();
        using var reader = new StreamReader(path, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true);
        int lineNumber = 0;
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct);
            }
            catch (DecoderFallbackException)
            {
                results.Add(new IngestResult($"{path}:{lineNumber + 1}", null, $"{path}: line {lineNumber + 1}: not valid UTF-8; the rest of the file was not read"));
                break;
            }
            if (line is null) break;
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}:{lineNumber}";
            try
            {
                CheckSize(Encoding.UTF8.GetByteCount(line), where);
                var input = JsonDocumentReader.Parse(line, where, $"{Path.GetFileNameWithoutExtension(path)} line {lineNumber}");
                results.Add(new IngestResult(where, await IngestJsonAsync(collection, input, explicitId: true, ct), null));
            }
            catch (Exception e) when (e is ExtractionException or InvalidDocumentException)
            {
                results.Add(new IngestResult(where, null, e.Message));
            }
        }
        if (results.Count == 0) throw new ExtractionException($"{path}: the file has no JSON lines");
        return results;
    }

    /// <summary>Segments, hashes and stores one extracted document.</summary>
    public async Task<IngestOutcome> StoreAsync(string collection, ExtractedDocument document, string? externalId, bool explicitId, string metadataJson, string? source, CancellationToken ct = default)
    {
        // Contracts and terms of service arrive as HTML, Markdown or DOCX too: the text decides, not the format.
        if (document.Kind == DocumentKind.Prose && LegalNumbering.LooksLegal(document.Blocks.Select(b => b.Text))) document = document with { Kind = DocumentKind.Legal };
        var segments = segmenter.Segment(document, statistics is null ? null : await statistics.GetAsync(collection, ct));
        string hash = ContentHash(document, metadataJson);
        string id = externalId is null ? "sha256:" + hash[..32] : DocumentIds.Check(externalId, source ?? "document");
        var write = new DocumentWrite(id, explicitId && externalId is not null, document.Title, source, document.MediaType, document.Kind,
            metadataJson, hash, JsonSerializer.Serialize(document.Blocks, StructureJson), segments);
        var result = await store.UpsertDocumentAsync(collection, write, ct);
        return new IngestOutcome(result.Document.ExternalId, result.Outcome, result.Document, result.Sequence);
    }

    private void CheckSize(long bytes, string where)
    {
        if (bytes > options.MaxDocumentBytes)
            throw new ExtractionException($"{where}: {bytes / 1048576.0:0.0} MiB is over the {options.MaxDocumentBytes / 1048576.0:0.#} MiB limit for one document");
    }

    private static string ValidateMetadata(string? json, string where)
    {
        if (string.IsNullOrWhiteSpace(json)) return "{}";
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ExtractionException($"{where}: metadata must be a JSON object");
            return doc.RootElement.GetRawText();
        }
        catch (JsonException e)
        {
            throw new ExtractionException($"{where}: metadata is not valid JSON ({e.Message})");
        }
    }

    /// <summary>SHA-256 over everything that is stored about the content, so that any change to it is an update.</summary>
    public static string ContentHash(ExtractedDocument document, string metadataJson)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string? s)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(s ?? "\u0001"));
            hash.AppendData([0]);
        }
        Add(document.Title);
        Add(document.Kind.ToString());
        Add(document.MediaType);
        Add(metadataJson);
        foreach (var b in document.Blocks)
        {
            Add(b.Kind.ToString());
            Add(string.Join('\u001f', b.SectionPath));
            Add(b.StartSeconds?.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            Add(b.EndSeconds?.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            Add(b.Speaker);
            Add(b.Text);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
