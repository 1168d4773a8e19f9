using System.Text;

namespace Search.Models.Tokenization;

/// <summary>HF's ByteLevel pre-tokenizer: optional prefix space, optional GPT-2 regex split, then UTF-8 bytes mapped to the byte alphabet.</summary>
public sealed class ByteLevelStep(bool addPrefixSpace, bool useRegex) : PreTokenizerStep
{
    /// <inheritdoc/>
    public override List<string> Apply(List<string> pieces, bool atStart)
    {
        if (addPrefixSpace && pieces.Count > 0 && !pieces[0].StartsWith(' ')) pieces[0] = " " + pieces[0];
        if (useRegex) pieces = new RegexSplit(RegexSplit.Gpt2).Apply(pieces, atStart);
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
