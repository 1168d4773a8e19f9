using System.Collections.Frozen;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Search.Segmentation;

namespace Search.Indexing.Extraction;

/// <summary>HTML through AngleSharp: h1–h6 become the section path; each innermost block element (paragraph, list item, table row, …) becomes a block.</summary>
public sealed class HtmlExtractor : IExtractor
{
    private static readonly FrozenSet<string> Skipped = new[] { "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "NAV", "SVG", "IFRAME", "HEAD", "BUTTON", "FORM" }.ToFrozenSet();

    private static readonly FrozenSet<string> BlockTags = new[]
    {
        "P", "DIV", "SECTION", "ARTICLE", "MAIN", "HEADER", "FOOTER", "ASIDE", "UL", "OL", "LI", "DL", "DT", "DD",
        "PRE", "BLOCKQUOTE", "TABLE", "THEAD", "TBODY", "TFOOT", "TR", "FIGURE", "FIGCAPTION", "CAPTION", "ADDRESS",
        "H1", "H2", "H3", "H4", "H5", "H6", "HR", "BR", "BODY", "DETAILS", "SUMMARY",
    }.ToFrozenSet();

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".html", ".htm", ".xhtml"];

    /// <inheritdoc />
    public string MediaType => "text/html";

    /// <inheritdoc />
    public ExtractedDocument Extract(SourceInput source)
    {
        string html = TextDecoding.DecodeUtf8(source.Content.Span, source.FileName);
        NestingGuard.CheckHtml(html, source.Limits.MaxNestingDepth, source.FileName);
        var document = new HtmlParser().ParseDocument(html);
        string? title = TextDecoding.CollapseWhitespace(document.Title ?? "");
        if (title.Length == 0) title = null;
        var state = new State(title);
        if (document.Body is { } body) Walk(body, state);
        state.FlushInline();
        if (state.Blocks.Count == 0) throw new ExtractionException($"{source.FileName}: no text found");
        return new ExtractedDocument(state.Title ?? source.Stem, MediaType, DocumentKind.Prose, state.Blocks);
    }

    private sealed class State(string? title)
    {
        public string? Title = title;
        public readonly List<TextBlock> Blocks = [];
        public readonly SectionStack Sections = new();
        public readonly StringBuilder Inline = new();

        public void FlushInline()
        {
            Add(BlockKind.Paragraph, Inline.ToString());
            Inline.Clear();
        }

        public void Add(BlockKind kind, string text)
        {
            text = TextDecoding.CollapseWhitespace(text);
            if (text.Length > 0) Blocks.Add(new TextBlock(kind, text, Sections.Path));
        }
    }

    private static void Walk(INode node, State state)
    {
        foreach (var child in node.ChildNodes)
        {
            if (child is IText t)
            {
                state.Inline.Append(t.Data);
                continue;
            }
            if (child is not IElement e || Skipped.Contains(e.TagName)) continue;
            if (!BlockTags.Contains(e.TagName))
            {
                state.Inline.Append(' ');
                Walk(e, state); // inline element: its text joins the running paragraph
                state.Inline.Append(' ');
                continue;
            }
            state.FlushInline();
            if (e.TagName.Length == 2 && e.TagName[0] == 'H' && char.IsDigit(e.TagName[1]))
            {
                string text = TextDecoding.CollapseWhitespace(e.TextContent);
                if (text.Length == 0) continue;
                int level = e.TagName[1] - '0';
                // A level-1 heading that repeats the <title>, or the first one when there is no <title>, names the document; it is not a section.
                if (level == 1 && (string.Equals(state.Title, text, StringComparison.Ordinal) || (state.Title is null && state.Blocks.Count == 0)))
                {
                    state.Title = text;
                    continue;
                }
                state.Sections.Enter(level, text);
                state.Blocks.Add(new TextBlock(BlockKind.Heading, text, state.Sections.Path, level));
                continue;
            }
            if (e.TagName == "TR")
            {
                var cells = new List<string>();
                foreach (var cell in e.Children)
                {
                    var c = TextDecoding.CollapseWhitespace(cell.TextContent);
                    if (c.Length > 0) cells.Add(c);
                }
                state.Add(BlockKind.Table, string.Join(" | ", cells));
                continue;
            }
            if (e.TagName == "PRE")
            {
                state.Add(BlockKind.Code, e.TextContent);
                continue;
            }
            bool isList = e.TagName == "LI";
            Walk(e, state);
            if (isList)
            {
                state.Add(BlockKind.ListItem, state.Inline.ToString());
                state.Inline.Clear();
            }
            else
            {
                state.FlushInline();
            }
        }
    }
}
