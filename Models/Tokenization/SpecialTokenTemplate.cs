namespace Search.Models.Tokenization;

/// <summary>The special ids a post-processor puts around a single sequence, e.g. [CLS] … [SEP] or &lt;bos&gt; ….</summary>
public sealed record SpecialTokenTemplate(IReadOnlyList<int> Prefix, IReadOnlyList<int> Suffix)
{
    /// <summary>No special tokens (ByteLevel post-processor or none at all).</summary>
    public static SpecialTokenTemplate None { get; } = new([], []);

    /// <summary>How many ids the template adds.</summary>
    public int Count => Prefix.Count + Suffix.Count;
}
