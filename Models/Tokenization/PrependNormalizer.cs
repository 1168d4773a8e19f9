namespace Search.Models.Tokenization;

/// <summary>HF's Prepend normalizer (Llama-2's "▁" in front of the text): non-empty text gets <paramref name="prefix"/> in front.</summary>
public sealed class PrependNormalizer(string prefix) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}
