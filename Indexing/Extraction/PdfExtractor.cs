using System.Diagnostics;

namespace Search.Indexing.Extraction;

/// <summary>PDF through poppler's <c>pdftotext -layout</c> as a subprocess (with a time limit), then read as plain text.</summary>
public sealed class PdfExtractor : IExtractor
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".pdf"];

    /// <inheritdoc />
    public string MediaType => "application/pdf";

    /// <inheritdoc />
    public Segmentation.ExtractedDocument Extract(SourceInput source)
    {
        if (source.Content.IsEmpty) throw new ExtractionException($"{source.FileName}: the file is empty");
        string input = Path.Combine(Path.GetTempPath(), "search-pdf-" + Guid.NewGuid().ToString("N") + ".pdf");
        try
        {
            File.WriteAllBytes(input, source.Content.ToArray());
            var psi = new ProcessStartInfo("pdftotext")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // Pages past the limit are left out; text past the limit stops the reader, which then stops pdftotext.
            foreach (var a in new[] { "-layout", "-enc", "UTF-8", "-l", source.Limits.MaxPdfPages.ToString(System.Globalization.CultureInfo.InvariantCulture), input, "-" })
                psi.ArgumentList.Add(a);
            using var process = StartOrExplain(psi);
            var stdout = ReadBoundedAsync(process, source.Limits.MaxTextChars);
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new ExtractionException($"{source.FileName}: pdftotext did not finish within {Timeout.TotalSeconds:0} s");
            }
            string? text = stdout.GetAwaiter().GetResult();
            if (text is null)
            {
                throw new ExtractionException($"{source.FileName}: the PDF yields more than {source.Limits.MaxTextChars:N0} characters of text");
            }
            if (process.ExitCode != 0)
            {
                string why = stderr.GetAwaiter().GetResult().Trim();
                throw new ExtractionException($"{source.FileName}: pdftotext could not read the PDF (exit {process.ExitCode}{(why.Length > 0 ? ": " + why : "")})");
            }
            if (string.IsNullOrWhiteSpace(text)) throw new ExtractionException($"{source.FileName}: the PDF has no extractable text (scanned images need OCR)");
            return PlainTextExtractor.FromText(text, source.Stem, MediaType);
        }
        finally
        {
            try { File.Delete(input); } catch (IOException) { }
        }
    }

    /// <summary>The process's whole output, or null once it passes <paramref name="maxChars"/>: then the process is stopped.</summary>
    private static async Task<string?> ReadBoundedAsync(Process process, long maxChars)
    {
        var text = new System.Text.StringBuilder();
        char[] buffer = new char[1 << 16];
        int read;
        while ((read = await process.StandardOutput.ReadAsync(buffer)) > 0)
        {
            if (text.Length + read > maxChars)
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
            text.Append(buffer, 0, read);
        }
        return text.ToString();
    }

    private static Process StartOrExplain(ProcessStartInfo psi)
    {
        try
        {
            return Process.Start(psi) ?? throw new ExtractionException("pdftotext could not be started");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ExtractionException("PDF support needs pdftotext (Debian package poppler-utils), which is not installed");
        }
    }
}
