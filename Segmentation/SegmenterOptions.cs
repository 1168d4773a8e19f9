namespace Search.Segmentation;

/// <summary>Size limits for segments, in whitespace-delimited tokens.</summary>
/// <remarks>
/// 400 is the hard ceiling: long enough for a whole abstract or a legal clause, short enough that a
/// returned passage is readable and BM25 length normalisation stays meaningful. Blocks are packed up
/// to the target so that short paragraphs or transcript cues are not returned one line at a time.
/// </remarks>
public sealed record SegmenterOptions(int TargetTokens = 200, int MaxTokens = 400)
{
    /// <summary>Throws when the limits cannot be met together.</summary>
    public void Validate()
    {
        if (MaxTokens < 8) throw new ArgumentOutOfRangeException(nameof(MaxTokens), "MaxTokens must be at least 8.");
        if (TargetTokens < 1 || TargetTokens > MaxTokens)
            throw new ArgumentOutOfRangeException(nameof(TargetTokens), "TargetTokens must be between 1 and MaxTokens.");
    }
}
