namespace Search.Indexing.Extraction;

/// <summary>
/// How much work one document may make an extractor do, whatever its size on the wire: what a compressed format
/// unpacks to, how deep markup nests, how many PDF pages are read and how much text comes out.
/// </summary>
/// <param name="MaxUnpackedBytes">Bytes a zip-based format (.docx) may unpack to, all entries together.</param>
/// <param name="MaxArchiveEntries">Entries a zip-based format may hold.</param>
/// <param name="MaxNestingDepth">Elements (HTML) or list and quote levels (Markdown) deeper than this are refused.</param>
/// <param name="MaxPdfPages">PDF pages read; later pages are left out.</param>
/// <param name="MaxTextChars">Characters of text one document may yield.</param>
public sealed record ExtractionLimits(long MaxUnpackedBytes = 256L << 20, int MaxArchiveEntries = 10_000, int MaxNestingDepth = 200,
    int MaxPdfPages = 2_000, long MaxTextChars = 64L << 20)
{
    /// <summary>The defaults.</summary>
    public static ExtractionLimits Default { get; } = new();
}
