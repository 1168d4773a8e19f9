using System.Globalization;
using System.Text;

namespace Search.Models.Tokenization;

/// <summary>NFD followed by dropping nonspacing marks, per code point, without ICU (the repository runs with InvariantGlobalization).</summary>
internal static partial class AccentFolding
{
    // Lazy because the generated arrays live in another part of this class, whose initializers may run later.
    private static readonly Lazy<Dictionary<int, string>> Table = new(BuildTable);

    /// <summary>Appends <paramref name="rune"/> decomposed with its accents removed.</summary>
    public static void Append(StringBuilder sb, Rune rune)
    {
        int cp = rune.Value;
        if (cp is >= 0xAC00 and <= 0xD7A3)
        {
            AppendHangul(sb, cp);
            return;
        }
        if (Table.Value.TryGetValue(cp, out string? folded))
        {
            sb.Append(folded);
            return;
        }
        if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark) return;
        sb.Append(rune.ToString());
    }

    // Hangul syllables decompose arithmetically into leading consonant, vowel and optional trailing consonant.
    private static void AppendHangul(StringBuilder sb, int cp)
    {
        int s = cp - 0xAC00;
        sb.Append((char)(0x1100 + s / (21 * 28)));
        sb.Append((char)(0x1161 + s % (21 * 28) / 28));
        if (s % 28 != 0) sb.Append((char)(0x11A7 + s % 28));
    }

    private static Dictionary<int, string> BuildTable()
    {
        var table = new Dictionary<int, string>(CodePoints.Length);
        for (int i = 0; i < CodePoints.Length; i++) table[CodePoints[i]] = Folded[i];
        return table;
    }
}
