using System.IO.Compression;

namespace Search.Indexing.Extraction;

/// <summary>
/// Checks a zip container before a parser unpacks it: the entry count, and what the entries really inflate to
/// (streamed and counted, never trusting the sizes the headers declare), so a small file cannot expand into gigabytes.
/// </summary>
public static class ZipBudget
{
    /// <summary>Throws <see cref="ExtractionException"/> when the archive is over <paramref name="limits"/> or is not a zip (<paramref name="format"/> names it, e.g. ".docx").</summary>
    public static void Check(ReadOnlyMemory<byte> content, ExtractionLimits limits, string fileName, string format)
    {
        try
        {
            using var archive = new ZipArchive(new MemoryStream(content.ToArray(), writable: false), ZipArchiveMode.Read);
            if (archive.Entries.Count > limits.MaxArchiveEntries)
                throw new ExtractionException($"{fileName}: {archive.Entries.Count:N0} entries in the archive, more than the {limits.MaxArchiveEntries:N0} allowed");
            long remaining = limits.MaxUnpackedBytes;
            byte[] buffer = new byte[81920];
            foreach (var entry in archive.Entries)
            {
                using var stream = entry.Open();
                int read;
                while ((read = stream.Read(buffer)) > 0)
                {
                    remaining -= read;
                    if (remaining < 0)
                        throw new ExtractionException($"{fileName}: unpacks to more than {limits.MaxUnpackedBytes / 1048576.0:0.#} MiB (the limit for one document's archive)");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new ExtractionException($"{fileName}: not a readable {format} file ({e.Message})");
        }
    }
}
