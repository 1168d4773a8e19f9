using System.Text.RegularExpressions;

namespace Search.Models.Tokenization;

/// <summary>HF's Split pre-tokenizer with a regex and the Isolated behaviour: matches and the text between them are each a piece.</summary>
public sealed class RegexSplit(Regex pattern) : PreTokenizerStep
{
    /// <summary>GPT-2's pattern, which the ByteLevel pre-tokenizer uses when use_regex is on.</summary>
    public static readonly Regex Gpt2 = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <inheritdoc/>
    public override List<string> Apply(List<string> pieces, bool atStart)
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
