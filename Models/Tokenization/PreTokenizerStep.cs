namespace Search.Models.Tokenization;

/// <summary>A step of a byte-level pre-tokenizer: turns each piece of text into smaller pieces.</summary>
public abstract class PreTokenizerStep
{
    /// <summary>Splits every piece of <paramref name="pieces"/>.</summary>
    public abstract List<string> Apply(List<string> pieces);
}
