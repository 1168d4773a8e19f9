using System.Text.RegularExpressions;

namespace Search.Segmentation.Structure;

/// <summary>A numbering label at the start of a legal paragraph, with its depth in the document's hierarchy.</summary>
/// <param name="Label">The label as written (<c>Article IV</c>, <c>Section 2.1</c>, <c>§ 5</c>, <c>2.1</c>, <c>(a)</c>).</param>
/// <param name="Level">1 article/part/chapter, 2 section or top-level number, 3 and 4 dotted sub-numbers, 5 lettered and 6 roman sub-clauses.</param>
/// <param name="Title">A short title written after the label (<c>2.1 Termination. Either party…</c> gives <c>Termination</c>), or empty.</param>
public sealed record LegalLabel(string Label, int Level, string Title)
{
    /// <summary>Whether the label numbers a clause or a larger unit, as opposed to a sub-clause inside one.</summary>
    public bool IsClause => Level <= 4;

    /// <summary>The label and its title, as a section path element.</summary>
    public string Heading => Title.Length == 0 ? Label : Label + " " + Title;
}

/// <summary>
/// Reads the numbering that structures contracts, terms of service, statutes and judgments (Article IV,
/// Section 2.1, § 5, 2.1(a)(iii)) from the start of a paragraph, and tells whether a document reads as legal text.
/// </summary>
public static partial class LegalNumbering
{
    [GeneratedRegex(@"^(?:ARTICLE|Article|PART|Part|CHAPTER|Chapter|TITLE|Title|SCHEDULE|Schedule)\s+(?:[0-9]+[A-Z]?|[IVXLC]+)\b\.?")]
    private static partial Regex ArticleLabel();

    [GeneratedRegex(@"^(?:(?:SECTION|Section|SEC\.|Sec\.|Clause|CLAUSE)\s*|§§?\s*)[0-9]+[A-Za-z]?(?:\.[0-9]+)*(?:\([a-z0-9]+\))*\.?")]
    private static partial Regex SectionLabel();

    [GeneratedRegex(@"^[0-9]{1,3}(?:\.[0-9]{1,3}){0,3}(?:\([a-z0-9]{1,4}\))*\.?(?=\s)")]
    private static partial Regex DottedLabel();

    [GeneratedRegex(@"^\(([a-z]{1,2}|[ivxl]{1,5}|[0-9]{1,2})\)(?=\s)")]
    private static partial Regex ParenthesisedLabel();

    // A short title after the label, ended by a full stop or colon: "Termination." or "Limitation of Liability:".
    [GeneratedRegex(@"^\s+((?:\p{Lu}[\p{L}'’-]*|of|and|or|the|to|for|in|on|by)(?:\s+(?:\p{Lu}[\p{L}'’-]*|of|and|or|the|to|for|in|on|by)){0,6})[.:]?(?=\s|$)")]
    private static partial Regex ShortTitle();

    /// <summary>The label that opens <paramref name="paragraph"/>, or null when it does not start with one.</summary>
    public static LegalLabel? Parse(string paragraph, string? previousLetter = null)
    {
        string text = paragraph.TrimStart();
        Match m;
        int level;
        if ((m = ArticleLabel().Match(text)).Success) level = 1;
        else if ((m = SectionLabel().Match(text)).Success) level = 2;
        else if ((m = DottedLabel().Match(text)).Success)
        {
            string digits = m.Value.TrimEnd('.');
            int paren = digits.IndexOf('(', StringComparison.Ordinal);
            int dots = (paren < 0 ? digits : digits[..paren]).Count(c => c == '.');
            // "1." opens a top-level numbered section; "2.1" and "2.1.3" go deeper; "2.1(a)" names a sub-clause.
            // A bare "12" is not a label.
            if (dots == 0 && paren < 0 && !m.Value.EndsWith('.')) return null;
            level = paren >= 0 ? 5 : 2 + dots;
        }
        else if ((m = ParenthesisedLabel().Match(text)).Success)
        {
            string inner = m.Groups[1].Value;
            // (i) after (h) is a letter; otherwise a run of i, v, x, l is a roman sub-sub-clause.
            bool roman = IsRoman(inner) && !(inner == "i" && previousLetter == "h") && !(inner == "v" && previousLetter == "u") && !(inner == "x" && previousLetter == "w");
            level = roman ? 6 : 5;
        }
        else return null;
        string label = m.Value.TrimEnd('.', ' ');
        string rest = text[m.Length..];
        string title = "";
        if (level <= 4)
        {
            var t = ShortTitle().Match(rest);
            // Only a title followed by more text (or standing alone) that ends in a stop counts: "2.1 The Customer shall" is a sentence, not a title.
            if (t.Success && (t.Value.EndsWith('.') || t.Value.EndsWith(':') || t.Length == rest.TrimEnd().Length)) title = t.Groups[1].Value;
        }
        return new LegalLabel(label, level, title);
    }

    private static bool IsRoman(string s)
    {
        foreach (char c in s)
            if (c is not ('i' or 'v' or 'x' or 'l')) return false;
        return true;
    }

    private static readonly HashSet<string> LegalTerms = new(StringComparer.OrdinalIgnoreCase)
    {
        "shall", "hereby", "herein", "hereof", "hereunder", "thereof", "therein", "pursuant", "notwithstanding", "agreement",
        "party", "parties", "court", "judgment", "appellant", "respondent", "petitioner", "plaintiff", "defendant", "statute",
        "liability", "indemnify", "warranty", "warranties", "licensor", "licensee", "clause", "section", "act", "tribunal",
    };

    /// <summary>
    /// Whether paragraphs read as legal text: several clause labels, or legal vocabulary at a density
    /// ordinary prose does not reach (over 1.5 % of words).
    /// </summary>
    public static bool LooksLegal(IEnumerable<string> paragraphs)
    {
        int labels = 0, words = 0, legal = 0, count = 0;
        foreach (var p in paragraphs)
        {
            count++;
            if (Parse(p) is { IsClause: true }) labels++;
            foreach (var token in p.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                words++;
                if (LegalTerms.Contains(token.Trim('.', ',', ';', ':', '(', ')', '"', '\''))) legal++;
            }
        }
        return (labels >= 3 && labels * 10 >= count) || (words >= 200 && legal * 1000 >= words * 15);
    }
}
