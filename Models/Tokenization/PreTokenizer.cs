using System.Text;
using System.Text.RegularExpressions;

namespace Search.Models.Tokenization;

/// <summary>A step of a byte-level pre-tokenizer: turns each piece of text into smaller pieces.</summary>
public abstract class PreTokenizerStep
{
    /// <summary>Splits every piece of <paramref name="pieces"/>.</summary>
    public abstract List<string> Apply(List<string> pieces);
}

/// <summary>HF's Split pre-tokenizer with a regex and the Isolated behaviour: matches and the text between them are each a piece.</summary>
public sealed class RegexSplit(Regex pattern) : PreTokenizerStep
{
    /// <summary>GPT-2's pattern, which the ByteLevel pre-tokenizer uses when use_regex is on.</summary>
    public static readonly Regex Gpt2 = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <inheritdoc/>
    public override List<string> Apply(List<string> pieces)
    {
        var result = new List<string>();
        foreach (string piece in pieces)
        {
            int last = 0;
            for (Match m = pattern.Match(piece); m.Success; m = m.NextMatch())
            {
                if (m.Length == 0) continue;
                if (m.Index > last) result.Add(piece[last..m.Index]);
                result.Add(m.Value);
                last = m.Index + m.Length;
            }
            if (last < piece.Length) result.Add(piece[last..]);
        }
        return result;
    }
}

/// <summary>HF's ByteLevel pre-tokenizer: optional prefix space, optional GPT-2 regex split, then UTF-8 bytes mapped to the byte alphabet.</summary>
public sealed class ByteLevelStep(bool addPrefixSpace, bool useRegex) : PreTokenizerStep
{
    /// <inheritdoc/>
    public override List<string> Apply(List<string> pieces)
    {
        if (addPrefixSpace && pieces.Count > 0 && !pieces[0].StartsWith(' ')) pieces[0] = " " + pieces[0];
        if (useRegex) pieces = new RegexSplit(RegexSplit.Gpt2).Apply(pieces);
        var result = new List<string>(pieces.Count);
        var sb = new StringBuilder();
        foreach (string piece in pieces)
        {
            sb.Clear();
            foreach (byte b in Encoding.UTF8.GetBytes(piece)) sb.Append(ByteLevelAlphabet.ByteToChar[b]);
            result.Add(sb.ToString());
        }
        return result;
    }
}
