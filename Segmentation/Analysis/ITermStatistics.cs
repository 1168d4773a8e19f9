namespace Search.Segmentation.Analysis;

/// <summary>
/// How common words are across a collection's segments, for weighting what a new document says against
/// what the collection already says (chapter titles name what is distinctive, not what every episode says).
/// </summary>
public interface ITermStatistics
{
    /// <summary>Segments in the collection.</summary>
    int Segments { get; }

    /// <summary>Segments that contain <paramref name="word"/>, as the collection's analyzer normalises it (stems, case).</summary>
    long SegmentFrequency(string word);
}
