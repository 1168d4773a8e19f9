namespace Search.Segmentation.Analysis;

/// <summary>
/// What a collection knows of its words: how common they are across its segments, for weighting what a new
/// document says against what the collection already says (chapter titles name what is distinctive, not
/// what every episode says), and which words it uses together (topic segmentation).
/// </summary>
public interface ITermStatistics
{
    /// <summary>Segments in the collection.</summary>
    int Segments { get; }

    /// <summary>Segments that contain <paramref name="word"/>, as the collection's analyzer normalises it (stems, case).</summary>
    long SegmentFrequency(string word);

    /// <summary>Topic classes of the collection's words, learned from its embedding; null until there is one.</summary>
    WordClasses? WordClasses => null;
}
