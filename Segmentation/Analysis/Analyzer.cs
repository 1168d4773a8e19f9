using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Search.Segmentation.Analysis;

/// <summary>Receives one analyzed term; the span is valid only during the call.</summary>
public delegate void TermSink(ReadOnlySpan<char> term);

/// <summary>
/// English text analysis for the lexical index: Unicode word tokenization, lower-casing, stop-word
/// removal and Porter2 stemming. Index and query text go through the same instance. Terms are handed
/// out as spans over a reused buffer, so analysing text allocates nothing for words seen before.
/// </summary>
public sealed class Analyzer
{
    private const int StemCacheLimit = 200_000;
    private readonly bool _stem;
    private int _stemCount; // ConcurrentDictionary.Count takes every lock: counting misses here keeps a cold cache from costing 4× the analysis
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _stopWords;
    private readonly ConcurrentDictionary<string, string> _stems = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _stemLookup;

    /// <summary>The analyzer used by default: English stop words and stemming.</summary>
    public static Analyzer English { get; } = new(StopWords.English, stem: true);

    /// <summary>Creates an analyzer with a stop list (empty for none) and optional stemming.</summary>
    public Analyzer(IEnumerable<string> stopWords, bool stem)
    {
        _stopWords = stopWords.ToFrozenSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _stem = stem;
        _stemLookup = _stems.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Hands every term of <paramref name="text"/> to <paramref name="sink"/>, in order.</summary>
    public void Analyze(ReadOnlySpan<char> text, TermSink sink)
    {
        Span<char> buffer = stackalloc char[128];
        int length = 0;
        int i = 0;
        {
            while (i <= text.Length)
            {
                bool wordChar = false;
                int width = 1;
                Rune rune = default;
                if (i < text.Length)
                {
                    char c = text[i];
                    if (c < 128)
                    {
                        wordChar = (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9;
                        if (!wordChar && c == '\'' && length > 0 && i + 1 < text.Length && char.IsLetter(text[i + 1])) wordChar = true;
                        if (!wordChar && c == '.' && length > 0 && ContinuesAcronym(text, i))
                        {
                            i++; // "U.S.C." is one word: "usc"
                            continue;
                        }
                        rune = new Rune(c);
                    }
                    else
                    {
                        if (Rune.DecodeFromUtf16(text[i..], out rune, out width) != System.Buffers.OperationStatus.Done)
                        {
                            rune = Rune.ReplacementChar;
                            width = 1;
                        }
                        wordChar = IsWordRune(rune) || (IsApostrophe(rune) && length > 0 && i + width < text.Length && char.IsLetter(text[i + width]));
                    }
                }
                if (wordChar)
                {
                    if (length + 2 > buffer.Length)
                    {
                        var bigger = new char[buffer.Length * 2]; // only for words over 60 characters
                        buffer[..length].CopyTo(bigger);
                        buffer = bigger;
                    }
                    if (IsApostrophe(rune)) buffer[length++] = '\'';
                    else if (rune.Value < 128) buffer[length++] = (char)(rune.Value is >= 'A' and <= 'Z' ? rune.Value | 0x20 : rune.Value);
                    else length += Rune.ToLowerInvariant(rune).EncodeToUtf16(buffer[length..]);
                }
                else if (length > 0)
                {
                    Emit(buffer[..length], sink);
                    length = 0;
                }
                i += width;
            }
        }
    }

    /// <summary>Appends the terms of <paramref name="text"/> to <paramref name="terms"/> in order.</summary>
    public void Analyze(ReadOnlySpan<char> text, List<string> terms) => Analyze(text, t => terms.Add(t.ToString()));

    /// <summary>The terms of <paramref name="text"/> as a new list.</summary>
    public List<string> Analyze(string text)
    {
        var terms = new List<string>();
        Analyze(text.AsSpan(), terms);
        return terms;
    }

    private void Emit(ReadOnlySpan<char> token, TermSink sink)
    {
        if (_stopWords.Contains(token)) return;
        ReadOnlySpan<char> term = token;
        if (_stem)
        {
            if (!_stemLookup.TryGetValue(token, out string? stem))
            {
                string word = token.ToString();
                stem = EnglishStemmer.Stem(word);
                if (_stemCount < StemCacheLimit && _stems.TryAdd(word, stem)) Interlocked.Increment(ref _stemCount);
            }
            term = stem;
        }
        if (term.Contains('\''))
        {
            Span<char> clean = stackalloc char[term.Length];
            int n = 0;
            foreach (char c in term)
                if (c != '\'') clean[n++] = c;
            if (n > 0) sink(clean[..n]);
            return;
        }
        if (term.Length > 0) sink(term);
    }

    /// <summary>True for the dot in a run of single letters and dots ("U.S.C.", "e.g."), which tokenizes as one word.</summary>
    private static bool ContinuesAcronym(ReadOnlySpan<char> text, int dot)
    {
        if (dot + 1 >= text.Length || !char.IsLetter(text[dot + 1]) || !char.IsLetter(text[dot - 1])) return false;
        if (dot + 2 < text.Length && char.IsLetterOrDigit(text[dot + 2])) return false; // the next part is a whole word
        return dot < 2 || !char.IsLetterOrDigit(text[dot - 2]); // the previous part must be a single letter too
    }

    private static bool IsWordRune(Rune r)
    {
        if (Rune.IsLetterOrDigit(r)) return true;
        var cat = Rune.GetUnicodeCategory(r);
        return cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
    }

    private static bool IsApostrophe(Rune r) => r.Value is '\'' or '\u2019';

}
