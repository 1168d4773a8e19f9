using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using Search.Segmentation;

namespace Search.Indexing.Extraction;

/// <summary>Word documents through the Open XML SDK: Heading1–9 (or an outline level) open sections; the Title style or core title names the document.</summary>
public sealed class DocxExtractor : IExtractor
{
    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".docx"];

    /// <inheritdoc />
    public string MediaType => "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    /// <inheritdoc />
    public ExtractedDocument Extract(SourceInput source)
    {
        if (source.Content.IsEmpty) throw new ExtractionException($"{source.FileName}: the file is empty");
        ZipBudget.Check(source.Content, source.Limits, source.FileName, ".docx");
        try
        {
            using var stream = new MemoryStream(source.Content.ToArray(), writable: false);
            using var word = WordprocessingDocument.Open(stream, false);
            var body = word.MainDocumentPart?.Document?.Body ?? throw new ExtractionException($"{source.FileName}: the document has no body");
            string? title = word.PackageProperties.Title is { Length: > 0 } t ? TextDecoding.CollapseWhitespace(t) : null;
            var sections = new SectionStack();
            var blocks = new List<TextBlock>();
            foreach (var paragraph in body.Descendants<Paragraph>())
            {
                string text = TextDecoding.CollapseWhitespace(paragraph.InnerText);
                if (text.Length == 0) continue;
                string style = paragraph.ParagraphProperties?.ParagraphStyleId?.Val?.Value ?? "";
                if (style.Equals("Title", StringComparison.OrdinalIgnoreCase))
                {
                    title ??= text;
                    continue;
                }
                int level = HeadingLevel(style, paragraph);
                if (level > 0)
                {
                    sections.Enter(level, text);
                    blocks.Add(new TextBlock(BlockKind.Heading, text, sections.Path, level));
                    continue;
                }
                bool listItem = paragraph.ParagraphProperties?.NumberingProperties is not null;
                blocks.Add(new TextBlock(listItem ? BlockKind.ListItem : BlockKind.Paragraph, text, sections.Path));
            }
            if (blocks.Count == 0) throw new ExtractionException($"{source.FileName}: no text found");
            return new ExtractedDocument(title ?? source.Stem, MediaType, DocumentKind.Prose, blocks);
        }
        catch (Exception e) when (e is OpenXmlPackageException or FormatException or InvalidDataException or IOException or System.Xml.XmlException or InvalidOperationException)
        {
            throw new ExtractionException($"{source.FileName}: not a readable .docx file ({e.Message})");
        }
    }

    private static int HeadingLevel(string style, Paragraph paragraph)
    {
        if (style.StartsWith("Heading", StringComparison.OrdinalIgnoreCase) && int.TryParse(style.AsSpan(7), out int level) && level is >= 1 and <= 9)
            return level;
        if (paragraph.ParagraphProperties?.OutlineLevel?.Val?.Value is int outline && outline is >= 0 and < 9) return outline + 1;
        return 0;
    }
}
