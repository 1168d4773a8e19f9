namespace Search.Segmentation;

/// <summary>What a block of extracted text is in its document's structure.</summary>
public enum BlockKind
{
    Heading,
    Paragraph,
    ListItem,
    Cue,
    Code,
    Table,
}

/// <summary>The broad kind of a document, which decides how it is segmented.</summary>
public enum DocumentKind
{
    Prose,
    Legal,
    Transcript,
}

/// <summary>One unit of extracted text with its place in the document: section path, and cue times and speaker for transcripts.</summary>
public sealed record TextBlock(
    BlockKind Kind,
    string Text,
    IReadOnlyList<string> SectionPath,
    int HeadingLevel = 0,
    double? StartSeconds = null,
    double? EndSeconds = null,
    string? Speaker = null)
{
    /// <summary>The text as it appears in the document body: a cue keeps its speaker as a prefix, as a reader would see it.</summary>
    public string RenderedText => Speaker is null ? Text : Speaker + ": " + Text;
}

/// <summary>A document after extraction: title, media type and its text blocks in reading order.</summary>
public sealed record ExtractedDocument(string Title, string MediaType, DocumentKind Kind, IReadOnlyList<TextBlock> Blocks);

/// <summary>A titled topical stretch of a transcript (a podcast or meeting chapter), longer than a segment.</summary>
public sealed record Chapter(int Ordinal, string Title, double? StartSeconds, double? EndSeconds);

/// <summary>A retrieval unit cut from a document: its text, where it sits (offsets, section path, times, speaker) and, in a transcript, the chapter it lies in.</summary>
public sealed record Segment(
    int Ordinal,
    string Text,
    int StartChar,
    int EndChar,
    string SectionPath,
    double? StartSeconds,
    double? EndSeconds,
    string? Speaker,
    Chapter? Chapter = null);
