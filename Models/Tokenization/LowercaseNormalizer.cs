namespace Search.Models.Tokenization;

/// <summary>Lowercase normalizer.</summary>
public sealed class LowercaseNormalizer : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text) => text.ToLowerInvariant();
}
