namespace Search.Models.Tokenization;

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
