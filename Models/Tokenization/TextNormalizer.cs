using System.Text;

namespace Search.Models.Tokenization;

/// <summary>A tokenizer.json normalizer: rewrites text before pre-tokenization.</summary>
public abstract class TextNormalizer
{
    /// <summary>The normalized text.</summary>
    public abstract string Normalize(string text);
}

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

/// <summary>Lowercase normalizer.</summary>
public sealed class LowercaseNormalizer : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text) => text.ToLowerInvariant();
}

/// <summary>Unicode normalization forms. Without ICU (InvariantGlobalization) .NET leaves text unchanged, so this assumes
/// input that is already in the requested form (true of almost all NFC text fed to NFC-normalizing decoders).</summary>
public sealed class UnicodeFormNormalizer(NormalizationForm form) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text) => text.Normalize(form);
}

/// <summary>Normalizers applied in order.</summary>
public sealed class SequenceNormalizer(IReadOnlyList<TextNormalizer> steps) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text)
    {
        foreach (TextNormalizer step in steps) text = step.Normalize(text);
        return text;
    }
}
