namespace Search.Models.Tokenization;

/// <summary>A tokenizer.json normalizer: rewrites text before pre-tokenization.</summary>
public abstract class TextNormalizer
{
    /// <summary>The normalized text.</summary>
    public abstract string Normalize(string text);
}
