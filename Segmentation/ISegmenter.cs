namespace Search.Segmentation;

/// <summary>Cuts an extracted document into retrieval segments that respect a hard size limit.</summary>
public interface ISegmenter
{
    /// <summary>
    /// Segments in reading order; character offsets refer to <see cref="DocumentText.Compose"/> of the same blocks.
    /// <paramref name="collection"/>, when given, says how common words are in the collection the document joins.
    /// </summary>
    IReadOnlyList<Segment> Segment(ExtractedDocument document, Analysis.ITermStatistics? collection = null);
}
