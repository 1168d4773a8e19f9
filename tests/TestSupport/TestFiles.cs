using System.Globalization;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace Search.TestSupport;

/// <summary>Builds real binary documents (DOCX, PDF) for extraction tests.</summary>
public static class TestFiles
{
    /// <summary>A .docx with a Title paragraph, and (style, text) paragraphs such as ("Heading1", "Scope").</summary>
    public static byte[] Docx(string title, params (string? Style, string Text)[] paragraphs)
    {
        using var stream = new MemoryStream();
        using (var doc = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = doc.AddMainDocumentPart();
            var body = new Body();
            body.Append(Para("Title", title));
            foreach (var (style, text) in paragraphs) body.Append(Para(style, text));
            main.Document = new Document(body);
            main.Document.Save();
        }
        return stream.ToArray();
    }

    /// <summary>
    /// A real .docx with one extra entry of <paramref name="zeroBytes"/> zeros (a zip bomb when large: a few hundred KB on
    /// the wire) and <paramref name="extraEntries"/> empty entries.
    /// </summary>
    public static byte[] DocxWithPadding(long zeroBytes, int extraEntries = 0)
    {
        var docx = Docx("Padded", ("Heading1", "Scope"), (null, "The body text."));
        using var stream = new MemoryStream();
        stream.Write(docx);
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            if (zeroBytes > 0)
            {
                using var entry = zip.CreateEntry("word/media/padding.bin", System.IO.Compression.CompressionLevel.Fastest).Open();
                var chunk = new byte[1 << 20];
                for (long written = 0; written < zeroBytes; written += chunk.Length) entry.Write(chunk, 0, (int)Math.Min(chunk.Length, zeroBytes - written));
            }
            for (int i = 0; i < extraEntries; i++) zip.CreateEntry($"word/extra/{i}.xml", System.IO.Compression.CompressionLevel.Fastest);
        }
        return stream.ToArray();
    }

    private static Paragraph Para(string? style, string text)
    {
        var p = new Paragraph();
        if (style is not null) p.Append(new ParagraphProperties(new ParagraphStyleId { Val = style }));
        p.Append(new Run(new Text(text) { Space = SpaceProcessingModeValues.Preserve }));
        return p;
    }

    /// <summary>A one-page PDF (Helvetica, WinAnsi) with the given lines; an empty line leaves a paragraph gap.</summary>
    public static byte[] Pdf(params string[] lines)
    {
        var content = new StringBuilder("BT /F1 11 Tf 72 740 Td 14 TL\n");
        foreach (var line in lines)
        {
            if (line.Length == 0) content.Append("T*\n");
            else content.Append('(').Append(line.Replace("\\", "\\\\").Replace("(", "\\(").Replace(")", "\\)")).Append(") Tj T*\n");
        }
        content.Append("ET");
        string stream = content.ToString();
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            $"<< /Length {Encoding.Latin1.GetByteCount(stream)} >>\nstream\n{stream}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ];
        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (int i = 0; i < objects.Length; i++)
        {
            offsets.Add(Encoding.Latin1.GetByteCount(pdf.ToString()));
            pdf.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        int xref = Encoding.Latin1.GetByteCount(pdf.ToString());
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (int o in offsets) pdf.Append(CultureInfo.InvariantCulture, $"{o:D10} 00000 n \n");
        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.Latin1.GetBytes(pdf.ToString());
    }
}
