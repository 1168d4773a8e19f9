using System.Collections.Frozen;

namespace Search.Segmentation.Structure;

/// <summary>
/// Finds sentence ends in prose, legal text and transcripts: a full stop, question or exclamation mark
/// (with any closing quotes or brackets) before white space, unless the full stop ends an abbreviation
/// (<c>Sec.</c>, <c>U.S.C.</c>, <c>e.g.</c>, <c>No.</c>, an initial), a list or clause label (<c>1.</c>,
/// <c>(iv).</c> at the start of a sentence) or a number followed by more of the same sentence.
/// </summary>
public static class SentenceSplitter
{
    private static readonly FrozenSet<string> Abbreviations = new[]
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "rev", "hon", "hon'ble", "gen", "col", "capt", "lt", "sgt", "gov", "govt", "sen", "rep",
        "inc", "ltd", "co", "corp", "llc", "llp", "plc", "bros", "dept", "univ", "assn", "ors", "anr", "anrs",
        "no", "nos", "sec", "secs", "s", "ss", "art", "arts", "para", "paras", "cl", "ch", "chap", "pt", "vol", "vols", "p", "pp", "fn", "n", "r", "reg", "regs", "sch", "ord", "o",
        "e.g", "i.e", "viz", "cf", "vs", "v", "al", "etc", "approx", "est", "fig", "figs", "eq", "eqs", "ex", "exh", "ref", "refs", "ed", "eds", "op", "cit", "ibid", "id", "cir", "supp", "stat", "pub", "l",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "rs", "u.s", "u.s.c", "u.k", "u.n", "e.u", "a.m", "p.m", "c.f.r", "f.2d", "f.3d", "s.ct", "l.ed",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The end offset (exclusive, after trailing quotes or brackets) of every sentence but the last.</summary>
    public static List<int> Ends(ReadOnlySpan<char> text)
    {
        var ends = new List<int>();
        int sentenceStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is not ('.' or '?' or '!' or '…')) continue;
            int end = i + 1;
            while (end < text.Length && text[end] is '.' or '?' or '!') end++; // "?!" and "..."
            while (end < text.Length && text[end] is '"' or '\'' or '”' or '’' or ')' or ']') end++;
            if (end >= text.Length || !char.IsWhiteSpace(text[end])) continue;
            int next = end;
            while (next < text.Length && char.IsWhiteSpace(text[next])) next++;
            if (next >= text.Length) break;
            if (c == '.' && end == i + 1 && !EndsSentence(text, sentenceStart, i, text[next])) continue;
            ends.Add(end);
            sentenceStart = next;
            i = next - 1;
        }
        return ends;
    }

    /// <summary>Sentences as strings, trimmed.</summary>
    public static List<string> Split(string text)
    {
        var result = new List<string>();
        int start = 0;
        foreach (int end in Ends(text))
        {
            string s = text[start..end].Trim();
            if (s.Length > 0) result.Add(s);
            start = end;
        }
        string last = text[start..].Trim();
        if (last.Length > 0) result.Add(last);
        return result;
    }

    // The full stop at 'dot' ends a sentence unless the word before it is an abbreviation, an initial or a label.
    private static bool EndsSentence(ReadOnlySpan<char> text, int sentenceStart, int dot, char next)
    {
        int wordStart = dot;
        while (wordStart > sentenceStart && !char.IsWhiteSpace(text[wordStart - 1])) wordStart--;
        var word = text[wordStart..dot].TrimStart("\"'“‘([");
        if (word.Length == 0) return true;
        bool nextStartsSentence = char.IsUpper(next) || char.IsDigit(next) || next is '"' or '“' or '(' or '[' or '‘' or '\'' || !char.IsLetter(next);
        if (!nextStartsSentence) return false; // "approx. two", "Sec. 4 of the Act"
        if (Abbreviations.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word)) return false;
        if (word.Length == 1 && char.IsUpper(word[0])) return false; // an initial: "J. Smith"
        if (word.Contains('.') && word.Length <= 8 && IsDottedAbbreviation(word)) return false; // "U.S.C", "a.k.a"
        // "1." or "(iv)." opening a sentence is a list or clause label, not its end.
        if (wordStart == sentenceStart && IsLabel(word)) return false;
        return true;
    }

    private static bool IsDottedAbbreviation(ReadOnlySpan<char> word)
    {
        foreach (char ch in word)
            if (!(char.IsLetter(ch) || ch == '.')) return false;
        return true;
    }

    private static bool IsLabel(ReadOnlySpan<char> word)
    {
        var w = word.Trim("()");
        if (w.Length == 0 || w.Length > 6) return false;
        foreach (char ch in w)
            if (!(char.IsDigit(ch) || ch == '.' || ch is 'i' or 'v' or 'x' or 'I' or 'V' or 'X' || (w.Length == 1 && char.IsLetter(ch)))) return false;
        return true;
    }
}
