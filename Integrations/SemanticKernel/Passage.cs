using System.ComponentModel;
using System.Globalization;
using Microsoft.SemanticKernel.Data;
using Search.Client;

namespace Search.SemanticKernel;

/// <summary>A passage a search returned: its text, where it sits (document, section path or chapter, times) and a link to cite it by.</summary>
public sealed record Passage(
    [property: TextSearchResultValue, Description("The passage's text, as stored.")] string Text,
    [property: Description("The id of the document the passage belongs to.")] string DocumentId,
    [property: TextSearchResultName, Description("The document's title.")] string Title,
    [property: Description("The section path inside the document (headings or legal numbering, joined by ' > '); empty for none.")] string SectionPath,
    [property: Description("The transcript chapter the passage lies in, if any.")] string? Chapter,
    [property: Description("Where the passage starts in a transcript, in seconds.")] double? StartSeconds,
    [property: Description("Where the passage ends in a transcript, in seconds.")] double? EndSeconds,
    [property: Description("The search score (higher is better; only comparable within one search).")] double Score,
    [property: TextSearchResultLink, Description("A link to the passage in the service's console, to cite it by.")] string Link)
{
    /// <summary>The passage from a hit of <paramref name="collection"/> on the service at <paramref name="baseAddress"/>.</summary>
    public static Passage FromHit(SearchHit hit, string collection, Uri baseAddress) => new(
        hit.Text, hit.DocumentId, hit.Title, hit.SectionPath, hit.Chapter?.Title, hit.StartSeconds, hit.EndSeconds, hit.Score,
        CitationLink(baseAddress, collection, hit.DocumentId, hit.Segment));

    /// <summary>The console's view of one segment of a document: the page opens the document scrolled to that segment.</summary>
    public static string CitationLink(Uri baseAddress, string collection, string documentId, int segment) =>
        new Uri(baseAddress, "console/").AbsoluteUri
        + $"#/collections/{Uri.EscapeDataString(collection)}/documents/{Uri.EscapeDataString(documentId)}?segment={segment.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Where the passage sits, for a reader: title, section path or chapter, and times.</summary>
    public string Location
    {
        get
        {
            var parts = new List<string>(4) { Title };
            if (SectionPath.Length > 0) parts.Add(SectionPath);
            if (Chapter is { Length: > 0 } chapter) parts.Add(chapter);
            if (StartSeconds is { } start) parts.Add(EndSeconds is { } end ? $"{TranscriptTime.Format(start)}–{TranscriptTime.Format(end)}" : TranscriptTime.Format(start));
            return string.Join(" › ", parts);
        }
    }

    /// <summary>The passage as one block of text with its location and link, the form a prompt cites from.</summary>
    public override string ToString() => $"[{Location}] {Text} ({Link})";
}
