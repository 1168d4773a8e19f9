namespace Search.Models.Tokenization;

/// <summary>A step of a pre-tokenizer: turns each piece of text into smaller pieces.</summary>
public abstract class PreTokenizerStep
{
    /// <summary>Splits every piece of <paramref name="pieces"/>; <paramref name="atStart"/>: the text begins the input.</summary>
    public abstract List<string> Apply(List<string> pieces, bool atStart);
}
