namespace Search.Segmentation.Topics;

/// <summary>Finds where the topic changes in a sequence of units (sentences, paragraphs, speaker turns).</summary>
public interface ITopicSegmenter
{
    /// <summary>The indices of the units that start a new topical segment (never 0), ascending.</summary>
    IReadOnlyList<int> Boundaries(IReadOnlyList<string> units);
}
