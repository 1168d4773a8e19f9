using System.Text;

namespace Search.Models.Tokenization;

/// <summary>HF's BertNormalizer: drop control characters, whitespace to spaces, space out CJK ideographs, strip accents, lowercase.</summary>
public sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool stripAccents, bool lowercase) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (Rune r in text.EnumerateRunes())
        {
            int cp = r.Value;
            if (cleanText)
            {
                if (cp == 0 || cp == 0xFFFD || UnicodeClasses.IsBertControl(r)) continue;
                if (UnicodeClasses.IsBertWhitespace(r))
                {
                    sb.Append(' ');
                    continue;
                }
            }
            bool ideograph = handleChineseChars && UnicodeClasses.IsChineseIdeograph(cp);
            if (ideograph) sb.Append(' ');
            if (stripAccents) AccentFolding.Append(sb, r);
            else sb.Append(r.ToString());
            if (ideograph) sb.Append(' ');
        }
        string s = sb.ToString();
        return lowercase ? s.ToLowerInvariant() : s;
    }
}
