namespace Search.Models.Tokenization;

/// <summary>When a Metaspace pre-tokenizer puts its replacement character in front of the text.</summary>
public enum PrependScheme
{
    /// <summary>In front of every stretch of text.</summary>
    Always,
    /// <summary>Only in front of the stretch that begins the input (not after an added token).</summary>
    First,
    /// <summary>Never.</summary>
    Never,
}

/// <summary>
/// HF's Metaspace pre-tokenizer (SentencePiece's convention): spaces become the replacement character ("▁"), which is
/// also put in front of the text as <paramref name="scheme"/> says; with <paramref name="split"/>, each word with its
/// leading "▁" is its own piece.
/// </summary>
public sealed class MetaspaceStep(char replacement, PrependScheme scheme, bool split) : PreTokenizerStep
{
    /// <inheritdoc/>
    public override List<string> Apply(List<string> pieces, bool atStart)
    {
        var result = new List<string>(pieces.Count);
        for (int p = 0; p < pieces.Count; p++)
        {
            string piece = pieces[p].Replace(' ', replacement);
            bool prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && atStart && p == 0);
            if (prepend && !piece.StartsWith(replacement)) piece = replacement + piece;
            if (!split)
            {
                result.Add(piece);
                continue;
            }
            // Each replacement character starts a new piece (merged with what follows it).
            int start = 0;
            for (int i = 1; i < piece.Length; i++)
            {
                if (piece[i] != replacement) continue;
                result.Add(piece[start..i]);
                start = i;
            }
            if (start < piece.Length) result.Add(piece[start..]);
        }
        return result;
    }
}
