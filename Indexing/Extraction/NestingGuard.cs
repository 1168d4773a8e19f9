using System.Collections.Frozen;

namespace Search.Indexing.Extraction;

/// <summary>
/// A linear scan that refuses markup nested deeper than the limit before a parser sees it: parsers and tree walks
/// cost more than linear time in depth (100,000 nested divs took 20 s, a deep Markdown list 10 s per 2,000 levels).
/// </summary>
public static class NestingGuard
{
    // Elements with no end tag, or whose end tag may be left out: they do not deepen the count.
    private static readonly FrozenSet<string> Unbalanced = new[]
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param", "keygen",
        "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "colgroup", "caption", "rp", "rt",
        "html", "head", "body", "!doctype",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Throws <see cref="ExtractionException"/> when elements in <paramref name="html"/> nest deeper than <paramref name="limit"/>.</summary>
    public static void CheckHtml(string html, int limit, string fileName)
    {
        int depth = 0;
        for (int i = html.IndexOf('<'); i >= 0 && i + 1 < html.Length; i = html.IndexOf('<', i + 1))
        {
            char next = html[i + 1];
            if (next == '!' && html.AsSpan(i).StartsWith("<!--"))
            {
                int end = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                if (end < 0) return;
                i = end;
                continue;
            }
            bool closing = next == '/';
            int nameStart = closing ? i + 2 : i + 1;
            int nameEnd = nameStart;
            while (nameEnd < html.Length && (char.IsAsciiLetterOrDigit(html[nameEnd]) || html[nameEnd] is '-' or '!')) nameEnd++;
            if (nameEnd == nameStart) continue; // "<" in text
            var name = html.AsSpan(nameStart, nameEnd - nameStart);
            if (Unbalanced.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name)) continue;
            if (closing)
            {
                if (depth > 0) depth--;
                continue;
            }
            int close = html.IndexOf('>', nameEnd);
            if (close > 0 && html[close - 1] == '/') continue; // self-closing
            if (++depth > limit) throw new ExtractionException($"{fileName}: elements nest more than {limit} deep");
        }
    }

    /// <summary>Throws <see cref="ExtractionException"/> when quotes or list indentation in <paramref name="markdown"/> go deeper than <paramref name="limit"/> levels.</summary>
    public static void CheckMarkdown(string markdown, int limit, string fileName)
    {
        int lineStart = 0;
        while (lineStart < markdown.Length)
        {
            int lineEnd = markdown.IndexOf('\n', lineStart);
            if (lineEnd < 0) lineEnd = markdown.Length;
            int quotes = 0, column = 0;
            for (int i = lineStart; i < lineEnd; i++)
            {
                char c = markdown[i];
                if (c == '>') quotes++;
                else if (c == ' ') column++;
                else if (c == '\t') column += 4;
                else break;
            }
            // A list nested d levels is indented at least two columns per level.
            if (quotes > limit || column > 2 * limit)
                throw new ExtractionException($"{fileName}: quotes or lists nest more than {limit} levels deep");
            lineStart = lineEnd + 1;
        }
    }
}
