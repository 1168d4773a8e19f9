namespace Search.Segmentation;

/// <summary>Token counting, the unit of every segment size limit.</summary>
public static class Tokens
{
    /// <summary>
    /// Longest run of characters counted as one token. No English word comes near it; a longer run is a
    /// URL, a hash, a table flattened without spaces or garbage, and counts (and is cut) as one token per
    /// 64 characters, so a text without white space still respects the size limits.
    /// </summary>
    public const int MaxTokenChars = 64;

    /// <summary>Number of tokens: maximal runs of non-whitespace characters, a long run counting once per <see cref="MaxTokenChars"/>.</summary>
    public static int Count(ReadOnlySpan<char> text)
    {
        int count = 0, run = 0;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                run = 0;
                continue;
            }
            if (run % MaxTokenChars == 0) count++;
            run++;
        }
        return count;
    }

    /// <summary>The [start, end) character ranges of the tokens of <paramref name="text"/>, in order.</summary>
    public static List<(int Start, int End)> Ranges(ReadOnlySpan<char> text)
    {
        var ranges = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && i - start < MaxTokenChars) i++;
            if (i > start) ranges.Add((start, i));
        }
        return ranges;
    }
}
