using Search.Segmentation;
using Search.Segmentation.Structure;

namespace Search.Indexing.Extraction;

/// <summary>
/// Plain text: paragraphs are separated by blank lines; a short stand-alone line that reads like a
/// heading (numbered article or section, or a title-like line) opens a section, and a numbered clause
/// with a short title (<c>4.2 Termination. Either party…</c>) opens one at its numbering depth, so
/// contracts and statutes keep paths like <c>Article IV > 4.2 Termination</c>.
/// </summary>
public sealed class PlainTextExtractor : IExtractor
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
        var levels = new List<int>(); // the numbering depth of each path element
        for (int i = first; i < paragraphs.Count; i++)
        {
            string p = paragraphs[i];
            var label = LegalNumbering.Parse(p);
            int level = HeadingLevel(p, label, i + 1 < paragraphs.Count);
            if (level > 0)
            {
                Enter(level, p);
                blocks.Add(new TextBlock(BlockKind.Heading, p, [.. path], level));
                continue;
            }
            if (label is { IsClause: true, Title.Length: > 0 }) Enter(label.Level, label.Heading);
            blocks.Add(new TextBlock(BlockKind.Paragraph, p, [.. path]));
        }
        var kind = LegalNumbering.LooksLegal(paragraphs) ? DocumentKind.Legal : DocumentKind.Prose;
        return new ExtractedDocument(title, mediaType, kind, blocks);

        void Enter(int level, string heading)
        {
            while (levels.Count > 0 && levels[^1] >= level)
            {
                levels.RemoveAt(levels.Count - 1);
                path.RemoveAt(path.Count - 1);
            }
            levels.Add(level);
            path.Add(heading);
        }
    }

    private static bool IsHeadingLike(string p) =>
        p.Length <= 120 && !p.Contains('\n', StringComparison.Ordinal) && p.Length > 0 && !".,;:".Contains(p[^1], StringComparison.Ordinal);

    private static int HeadingLevel(string p, LegalLabel? label, bool hasNext)
    {
        if (!hasNext || !IsHeadingLike(p) || p.Length > 100) return 0;
        if (label is { IsClause: true }) return label.Level;
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
