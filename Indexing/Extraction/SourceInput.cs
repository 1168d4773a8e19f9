namespace Search.Indexing.Extraction;

/// <summary>Raw bytes to extract, with the file name that decides the format.</summary>
public sealed record SourceInput(string FileName, ReadOnlyMemory<byte> Content)
{
    /// <summary>How much work extracting it may take.</summary>
    public ExtractionLimits Limits { get; init; } = ExtractionLimits.Default;

    /// <summary>The lower-case extension with its dot, e.g. ".md".</summary>
    public string Extension => Path.GetExtension(FileName).ToLowerInvariant();

    /// <summary>The file name without directory or extension, a fallback title.</summary>
    public string Stem => Path.GetFileNameWithoutExtension(FileName);
}
