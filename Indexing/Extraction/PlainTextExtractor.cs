using System.Text.RegularExpressions;
using Search.Segmentation;

namespace Search.Indexing.Extraction;

/// <summary>
/// Plain text: paragraphs are separated by blank lines; a short stand-alone line that reads like a
/// heading (numbered article or section, or a title-like line) opens a section.
/// </summary>
public sealed partial class PlainTextExtractor : IExtractor
{
    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".txt", ".text"];

    /// <inheritdoc />
    public string MediaType => "text/plain";

    /// <inheritdoc />
    public ExtractedDocument Extract(SourceInput source)
    {
        string text = TextDecoding.DecodeUtf8(source.Content.Span, source.FileName);
        return FromText(text, source.Stem, MediaType);
    }

    [GeneratedRegex(@"^(ARTICLE|Article|PART|Part|CHAPTER|Chapter|TITLE|SCHEDULE|Schedule|APPENDIX|Appendix|ANNEX|Annex)\s+[0-9IVXLC]+\b")]
    private static partial Regex TopLevelHeading();

    [GeneratedRegex(@"^((SECTION|Section|Sec\.|§)\s*\d+(\.\d+)*|\d+(\.\d+)+\.?\s+\p{Lu})")]
    private static partial Regex SecondLevelHeading();

    /// <summary>Blocks from plain text (also used for PDF text); the title is the first line when it looks like one.</summary>
    public static ExtractedDocument FromText(string text, string fallbackTitle, string mediaType)
    {
        var paragraphs = SplitParagraphs(text);
        if (paragraphs.Count == 0) throw new ExtractionException($"{fallbackTitle}: no text found");
        string title = fallbackTitle;
        int first = 0;
        if (IsHeadingLike(paragraphs[0]) && paragraphs.Count > 1)
        {
            title = paragraphs[0];
            first = 1;
        }
        var blocks = new List<TextBlock>(paragraphs.Count);
        var path = new List<string>();
        for (int i = first; i < paragraphs.Count; i++)
        {
            string p = paragraphs[i];
            int level = HeadingLevel(p, i + 1 < paragraphs.Count);
            if (level > 0)
            {
                while (path.Count >= level) path.RemoveAt(path.Count - 1);
                while (path.Count < level - 1) path.Add("");
                path.Add(p);
                blocks.Add(new TextBlock(BlockKind.Heading, p, [.. path], level));
            }
            else
            {
                blocks.Add(new TextBlock(BlockKind.Paragraph, p, [.. path]));
            }
        }
        return new ExtractedDocument(title, mediaType, DocumentKind.Prose, blocks);
    }

    private static bool IsHeadingLike(string p) =>
        p.Length <= 120 && !p.Contains('\n', StringComparison.Ordinal) && p.Length > 0 && !".,;:".Contains(p[^1], StringComparison.Ordinal);

    private static int HeadingLevel(string p, bool hasNext)
    {
        if (!hasNext || !IsHeadingLike(p) || p.Length > 100) return 0;
        if (TopLevelHeading().IsMatch(p)) return 1;
        if (SecondLevelHeading().IsMatch(p)) return 2;
        // An all-caps short line is a heading in most plain-text documents.
        bool hasLetter = false;
        foreach (char c in p)
        {
            if (char.IsLower(c)) return 0;
            hasLetter |= char.IsLetter(c);
        }
        return hasLetter && p.Length <= 80 ? 1 : 0;
    }

    /// <summary>Paragraphs separated by blank lines (or form feeds), with inner white space collapsed.</summary>
    public static List<string> SplitParagraphs(string text)
    {
        var result = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var rawLine in text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n'))
        {
            var line = rawLine.Replace('\f', ' ');
            bool blank = string.IsNullOrWhiteSpace(line);
            if (blank || rawLine.Contains('\f', StringComparison.Ordinal))
            {
                Flush();
                if (blank) continue;
            }
            current.Append(line).Append(' ');
        }
        Flush();
        return result;

        void Flush()
        {
            if (current.Length == 0) return;
            var p = TextDecoding.CollapseWhitespace(current.ToString());
            if (p.Length > 0) result.Add(p);
            current.Clear();
        }
    }
}
