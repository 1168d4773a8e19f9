namespace Search.Segmentation;

/// <summary>Size limits for segments, in tokens (see <see cref="Tokens"/>).</summary>
/// <remarks>
/// 400 is the hard ceiling: long enough for a whole abstract or a legal clause, short enough that a
/// returned passage is readable and BM25 length normalisation stays meaningful. Blocks are packed up
/// to the target so that short paragraphs or transcript cues are not returned one line at a time, and
/// a piece under the minimum (40, about two sentences) joins its neighbour in the same section and topic;
/// only a section or a whole document shorter than the minimum gives a shorter segment.
/// </remarks>
public sealed record SegmenterOptions(int TargetTokens = 200, int MaxTokens = 400, int MinTokens = 40)
{
    /// <summary>Throws when the limits cannot be met together.</summary>
    public void Validate()
    {
        if (MaxTokens < 8) throw new ArgumentOutOfRangeException(nameof(MaxTokens), "MaxTokens must be at least 8.");
        if (TargetTokens < 1 || TargetTokens > MaxTokens)
            throw new ArgumentOutOfRangeException(nameof(TargetTokens), "TargetTokens must be between 1 and MaxTokens.");
        if (MinTokens < 0) throw new ArgumentOutOfRangeException(nameof(MinTokens), "MinTokens must not be negative.");
    }

    /// <summary>The minimum in force: never above the target.</summary>
    public int EffectiveMinTokens => Math.Min(MinTokens, TargetTokens);
}
