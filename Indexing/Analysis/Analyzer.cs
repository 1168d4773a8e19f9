using System.Globalization;
using System.Text;

namespace Search.Indexing.Analysis;

/// <summary>
/// English text analysis for the lexical index: Unicode word tokenization, lower-casing, stop-word
/// removal and Porter2 stemming. Index and query text go through the same instance.
/// </summary>
public sealed class Analyzer
{
    private readonly bool _stem;
    private readonly IReadOnlySet<string> _stopWords;

    /// <summary>The analyzer used by default: English stop words and stemming.</summary>
    public static Analyzer English { get; } = new(StopWords.English, stem: true);

    /// <summary>Creates an analyzer with a stop list (empty for none) and optional stemming.</summary>
    public Analyzer(IReadOnlySet<string> stopWords, bool stem)
    {
        _stopWords = stopWords;
        _stem = stem;
    }

    /// <summary>Appends the terms of <paramref name="text"/> to <paramref name="terms"/> in order.</summary>
    public void Analyze(ReadOnlySpan<char> text, List<string> terms)
    {
        var word = new StringBuilder(32);
        int i = 0;
        while (i <= text.Length)
        {
            Rune rune = default;
            bool wordChar = false;
            int width = 1;
            if (i < text.Length)
            {
                if (Rune.DecodeFromUtf16(text[i..], out rune, out width) != System.Buffers.OperationStatus.Done)
                {
                    rune = Rune.ReplacementChar;
                    width = 1;
                }
                wordChar = IsWordRune(rune) || (IsApostrophe(rune) && word.Length > 0 && i + width < text.Length && char.IsLetter(text[i + width]));
                if (!wordChar && rune.Value == '.' && ContinuesAcronym(text, i, word))
                {
                    i += width; // "U.S.C." is one word: "usc"
                    continue;
                }
            }
            if (wordChar)
            {
                if (IsApostrophe(rune)) word.Append('\'');
                else AppendLower(word, rune);
            }
            else if (word.Length > 0)
            {
                Emit(word.ToString(), terms);
                word.Clear();
            }
            i += width;
        }
    }

    /// <summary>The terms of <paramref name="text"/> as a new list.</summary>
    public List<string> Analyze(string text)
    {
        var terms = new List<string>();
        Analyze(text.AsSpan(), terms);
        return terms;
    }

    private void Emit(string token, List<string> terms)
    {
        if (_stopWords.Contains(token)) return;
        string term = _stem ? EnglishStemmer.Stem(token) : token;
        if (term.Contains('\'', StringComparison.Ordinal)) term = term.Replace("'", "", StringComparison.Ordinal);
        if (term.Length == 0) return;
        terms.Add(term);
    }

    /// <summary>True for the dot in a run of single letters and dots ("U.S.C.", "e.g."), which tokenizes as one word.</summary>
    private static bool ContinuesAcronym(ReadOnlySpan<char> text, int dot, System.Text.StringBuilder word)
    {
        if (dot + 1 >= text.Length || !char.IsLetter(text[dot + 1]) || !char.IsLetter(text[dot - 1])) return false;
        if (dot + 2 < text.Length && char.IsLetterOrDigit(text[dot + 2])) return false; // the next part is a whole word
        if (dot >= 2 && char.IsLetterOrDigit(text[dot - 2])) return false; // so was the previous one
        return word.Length > 0;
    }

    private static bool IsWordRune(Rune r)
    {
        if (Rune.IsLetterOrDigit(r)) return true;
        var cat = Rune.GetUnicodeCategory(r);
        return cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
    }

    private static bool IsApostrophe(Rune r) => r.Value is '\'' or '\u2019';

    private static void AppendLower(StringBuilder sb, Rune r)
    {
        Rune lower = Rune.ToLowerInvariant(r);
        if (lower.IsBmp) sb.Append((char)lower.Value);
        else sb.Append(lower.ToString());
    }
}
