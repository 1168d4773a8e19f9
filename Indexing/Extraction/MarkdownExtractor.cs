using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Search.Segmentation;

namespace Search.Indexing.Extraction;

/// <summary>Markdown through Markdig: headings become the section path; paragraphs, list items, code and table rows become blocks.</summary>
public sealed class MarkdownExtractor : IExtractor
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseYamlFrontMatter().Build();

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".md", ".markdown"];

    /// <inheritdoc />
    public string MediaType => "text/markdown";

    /// <inheritdoc />
    public ExtractedDocument Extract(SourceInput source)
    {
        string text = TextDecoding.DecodeUtf8(source.Content.Span, source.FileName);
        NestingGuard.CheckMarkdown(text, source.Limits.MaxNestingDepth, source.FileName);
        Markdig.Syntax.MarkdownDocument doc;
        try
        {
            doc = Markdown.Parse(text, Pipeline);
        }
        catch (ArgumentException e)
        {
            // Markdig's own depth limit (tables, emphasis runs) surfaces as an ArgumentException.
            throw new ExtractionException($"{source.FileName}: {e.Message}");
        }
        string? title = null;
        var sections = new SectionStack();
        var blocks = new List<TextBlock>();
        foreach (var block in doc) Visit(block, sections, blocks, ref title);
        if (blocks.Count == 0) throw new ExtractionException($"{source.FileName}: no text found");
        return new ExtractedDocument(title ?? source.Stem, MediaType, DocumentKind.Prose, blocks);
    }

    private static void Visit(Block block, SectionStack sections, List<TextBlock> blocks, ref string? title)
    {
        switch (block)
        {
            case HeadingBlock h:
                string headingText = InlineText(h.Inline);
                if (headingText.Length == 0) return;
                // The first level-1 heading before any content is the document's title, not a section.
                if (title is null && h.Level == 1 && blocks.Count == 0)
                {
                    title = headingText;
                    return;
                }
                sections.Enter(h.Level, headingText);
                blocks.Add(new TextBlock(BlockKind.Heading, headingText, sections.Path, h.Level));
                break;
            case ParagraphBlock p:
                Add(blocks, p.Parent is ListItemBlock ? BlockKind.ListItem : BlockKind.Paragraph, InlineText(p.Inline), sections);
                break;
            case CodeBlock code:
                Add(blocks, BlockKind.Code, string.Join('\n', code.Lines.Lines.Take(code.Lines.Count).Select(l => l.ToString())), sections);
                break;
            case Table table:
                foreach (var row in table.OfType<TableRow>())
                {
                    var cells = new List<string>();
                    foreach (var cell in row.OfType<TableCell>())
                        foreach (var para in cell.OfType<ParagraphBlock>()) cells.Add(InlineText(para.Inline));
                    Add(blocks, BlockKind.Table, string.Join(" | ", cells), sections);
                }
                break;
            case ContainerBlock container:
                foreach (var child in container) Visit(child, sections, blocks, ref title);
                break;
        }
    }

    private static void Add(List<TextBlock> blocks, BlockKind kind, string text, SectionStack sections)
    {
        text = kind == BlockKind.Code ? text.Trim() : TextDecoding.CollapseWhitespace(text);
        if (text.Length > 0) blocks.Add(new TextBlock(kind, text, sections.Path));
    }

    private static string InlineText(ContainerInline? inline)
    {
        if (inline is null) return "";
        var sb = new StringBuilder();
        Append(inline, sb);
        return TextDecoding.CollapseWhitespace(sb.ToString());
    }

    private static void Append(Inline inline, StringBuilder sb)
    {
        switch (inline)
        {
            case LiteralInline lit: sb.Append(lit.Content.AsSpan()); break;
            case CodeInline code: sb.Append(code.Content); break;
            case LineBreakInline: sb.Append(' '); break;
            case AutolinkInline link: sb.Append(link.Url); break;
            case HtmlEntityInline entity: sb.Append(entity.Transcoded.AsSpan()); break;
            case ContainerInline container:
                foreach (var child in container) Append(child, sb);
                break;
        }
    }
}
