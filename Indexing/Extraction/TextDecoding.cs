using System.Text;

namespace Search.Indexing.Extraction;

/// <summary>Strict decoding of text files: rejects empty, binary and invalid UTF-8 input with a precise message.</summary>
public static class TextDecoding
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes UTF-8 (a BOM is dropped); throws <see cref="ExtractionException"/> for input that is not text.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string fileName)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) bytes = bytes[3..];
        if (bytes.IsEmpty) throw new ExtractionException($"{fileName}: the file is empty");
        CheckNotBinary(bytes, fileName);
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new ExtractionException($"{fileName}: not valid UTF-8 (first bad byte at offset {FirstInvalidOffset(bytes, e)})");
        }
    }

    private static int FirstInvalidOffset(ReadOnlySpan<byte> bytes, DecoderFallbackException e)
    {
        if (e.Index >= 0) return e.Index;
        return System.Text.Unicode.Utf8.IsValid(bytes) ? -1 : bytes.Length - 1;
    }

    private static void CheckNotBinary(ReadOnlySpan<byte> bytes, string fileName)
    {
        var sample = bytes[..Math.Min(bytes.Length, 8192)];
        int control = 0;
        foreach (byte b in sample)
        {
            if (b == 0) throw new ExtractionException($"{fileName}: binary content (NUL bytes), not text");
            if (b < 0x20 && b is not (byte)'\n' and not (byte)'\r' and not (byte)'\t' and not 0x0C) control++;
        }
        if (control > sample.Length / 20) throw new ExtractionException($"{fileName}: binary content ({control} control bytes in the first {sample.Length}), not text");
    }

    /// <summary>Collapses every run of white space to one space and trims.</summary>
    public static string CollapseWhitespace(ReadOnlySpan<char> text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }
}
