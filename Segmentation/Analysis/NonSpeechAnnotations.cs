using System.Text;

namespace Search.Segmentation.Analysis;

/// <summary>
/// A transcriber's notes inside the words said: <c>{disfmarker}</c>, <c>{vocalsound}</c>, <c>[laughter]</c>,
/// <c>[inaudible]</c>, <c>[crosstalk]</c>. They are not speech, so indexes, embedders and chapter titles skip them;
/// the stored text keeps them, as the transcript has them.
/// </summary>
public static class NonSpeechAnnotations
{
    // Longer bracketed text is more likely quoted or editorial content than a transcriber's tag.
    private const int MaxLength = 32;

    /// <summary>True when <paramref name="token"/> is one whole annotation: braces or brackets round letters (and inner spaces, '-' or '_').</summary>
    public static bool IsAnnotation(ReadOnlySpan<char> token)
    {
        if (token.Length < 3 || token.Length > MaxLength) return false;
        char open = token[0], close = token[^1];
        if (!(open == '{' && close == '}') && !(open == '[' && close == ']')) return false;
        var inner = token[1..^1];
        if (!char.IsLetter(inner[0]) || !char.IsLetter(inner[^1])) return false;
        foreach (char c in inner)
            if (!char.IsLetter(c) && c != ' ' && c != '-' && c != '_') return false;
        return true;
    }

    /// <summary>The text without its annotations (and without the white space they leave doubled); the same string when it has none.</summary>
    public static string Strip(string text)
    {
        if (text.AsSpan().IndexOfAny('{', '[') < 0) return text;
        StringBuilder? result = null;
        int copied = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char open = text[i];
            if (open != '{' && open != '[') continue;
            // Only as far as an annotation can reach, so unclosed brackets cost no more than their neighbourhood.
            int end = text.IndexOf(open == '{' ? '}' : ']', i + 1, Math.Min(MaxLength, text.Length - i - 1));
            if (end < 0 || end - i + 1 > MaxLength || !IsAnnotation(text.AsSpan(i, end - i + 1))) continue;
            result ??= new StringBuilder(text.Length);
            // Drop the annotation and the spaces before it ("a {x} b" → "a b"); at the start of a line, the spaces after it;
            // and keep words apart that it alone separated ("a {x}b" → "a b").
            int cut = i;
            while (cut > copied && text[cut - 1] == ' ') cut--;
            result.Append(text, copied, cut - copied);
            copied = end + 1;
            if (result.Length == 0 || result[^1] == '\n')
                while (copied < text.Length && text[copied] == ' ') copied++;
            else if (cut < i && copied < text.Length && !char.IsWhiteSpace(text[copied]))
                result.Append(' ');
            i = end;
        }
        if (result is null) return text;
        result.Append(text, copied, text.Length - copied);
        return result.ToString();
    }
}
