namespace Search.Segmentation;

/// <summary>Whitespace token counting, the unit of every segment size limit.</summary>
public static class Tokens
{
    /// <summary>Number of maximal runs of non-whitespace characters.</summary>
    public static int Count(ReadOnlySpan<char> text)
    {
        int count = 0;
        bool inToken = false;
        foreach (char c in text)
        {
            bool ws = char.IsWhiteSpace(c);
            if (!ws && !inToken) count++;
            inToken = !ws;
        }
        return count;
    }
}
