using System.Text;
using Search.Indexing.Extraction;
using Search.TestSupport;

namespace Search.Indexing.Tests;

/// <summary>Each extractor stops at its work limits with a clear error, whatever the input's size on the wire.</summary>
public sealed class ExtractionLimitTests
{
    private static ExtractedDocumentResult Extract(string fileName, byte[] content, ExtractionLimits? limits = null)
    {
        try
        {
            return new(ExtractorRegistry.Default.For(fileName).Extract(new SourceInput(fileName, content) { Limits = limits ?? ExtractionLimits.Default }), null);
        }
        catch (ExtractionException e)
        {
            return new(null, e.Message);
        }
    }

    private sealed record ExtractedDocumentResult(Segmentation.ExtractedDocument? Document, string? Error);

    [Fact]
    public void A_docx_that_inflates_past_the_limit_is_refused_without_being_unpacked()
    {
        byte[] bomb = TestFiles.DocxWithPadding(300L << 20);
        Assert.True(bomb.Length < 4 << 20, $"{bomb.Length} bytes on the wire");
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var result = Extract("bomb.docx", bomb);
        Assert.Null(result.Document);
        Assert.Contains("unpacks to more than 256 MiB", result.Error);
        // Counting the inflated bytes streams them: far less is allocated than the 300 MiB they inflate to.
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64L << 20);

        Assert.NotNull(Extract("fine.docx", TestFiles.DocxWithPadding(1 << 20)).Document);
        Assert.Contains("unpacks to more than 0.5 MiB", Extract("fine.docx", TestFiles.DocxWithPadding(1 << 20), new ExtractionLimits(MaxUnpackedBytes: 512 << 10)).Error);
    }

    [Fact]
    public void A_docx_with_too_many_entries_is_refused()
    {
        Assert.Contains("more than the 50 allowed", Extract("many.docx", TestFiles.DocxWithPadding(0, 60), new ExtractionLimits(MaxArchiveEntries: 50)).Error);
        Assert.NotNull(Extract("some.docx", TestFiles.DocxWithPadding(0, 20), new ExtractionLimits(MaxArchiveEntries: 50)).Document);
    }

    [Fact]
    public void Deeply_nested_html_is_refused_in_linear_time_while_unclosed_paragraphs_pass()
    {
        var bomb = new StringBuilder("<html><body>");
        for (int i = 0; i < 100_000; i++) bomb.Append("<div>");
        bomb.Append("deep");
        // Refused by a linear scan before the parser sees it (parsing it took 20 s).
        Assert.Contains("nest more than 200 deep", Extract("deep.html", Encoding.UTF8.GetBytes(bomb.ToString())).Error);

        var loose = new StringBuilder("<html><body><ul>");
        for (int i = 0; i < 1000; i++) loose.Append("<li>item ").Append(i).Append("<p>para <br> <img src=x> <span>s</span>");
        var document = Extract("loose.html", Encoding.UTF8.GetBytes(loose.ToString())).Document;
        Assert.NotNull(document);
    }

    [Fact]
    public void Deeply_nested_markdown_lists_and_quotes_are_refused()
    {
        var list = new StringBuilder();
        for (int i = 0; i < 2000; i++) list.Append(new string(' ', 2 * i)).Append("- item\n");
        Assert.Contains("nest more than 200 levels", Extract("deep.md", Encoding.UTF8.GetBytes(list.ToString())).Error);
        Assert.Contains("nest more than 200 levels", Extract("quotes.md", Encoding.UTF8.GetBytes(new string('>', 5000) + " deep\n")).Error);
        var shallow = new StringBuilder("# Title\n\n");
        for (int i = 0; i < 6; i++) shallow.Append(new string(' ', 2 * i)).Append("- level ").Append(i).Append('\n');
        Assert.NotNull(Extract("shallow.md", Encoding.UTF8.GetBytes(shallow.ToString())).Document);
    }

    [Fact]
    public void Pdf_text_past_the_limit_is_refused()
    {
        var pdf = TestFiles.Pdf("Quarterly Findings", "", "Revenue grew by nine percent in the northern region.");
        Assert.NotNull(Extract("r.pdf", pdf).Document);
        Assert.Contains("more than 20 characters of text", Extract("r.pdf", pdf, new ExtractionLimits(MaxTextChars: 20)).Error);
    }
}
