using Search.Segmentation;

namespace Search.Indexing.Extraction;

/// <summary>Turns one file format into text blocks with structure. Throws <see cref="ExtractionException"/> on bad input.</summary>
public interface IExtractor
{
    /// <summary>The extensions (with dot, lower case) this extractor reads.</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>The media type recorded for documents of this format.</summary>
    string MediaType { get; }

    /// <summary>Extracts the document.</summary>
    ExtractedDocument Extract(SourceInput source);
}
