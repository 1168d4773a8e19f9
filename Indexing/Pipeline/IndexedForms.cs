using Search.Indexing.Dense;
using Search.Indexing.Lexical;
using Search.Segmentation;

namespace Search.Indexing.Pipeline;

/// <summary>Stored documents as each index takes them.</summary>
public static class IndexedForms
{
    /// <summary>Where a segment sits, as indexes read it: its section path and, in a transcript, its chapter title.</summary>
    public static string Place(Segment s) =>
        s.Chapter is null ? s.SectionPath : s.SectionPath.Length == 0 ? s.Chapter.Title : s.SectionPath + StructuralSegmenter.PathSeparator + s.Chapter.Title;

    /// <summary>The document as the lexical index takes it.</summary>
    public static IndexedDocument Lexical(ChangedDocument d)
    {
        var segments = new List<IndexedSegment>(d.Segments.Count);
        foreach (var s in d.Segments) segments.Add(new IndexedSegment(s.Segment.Ordinal, Place(s.Segment), s.Segment.Text));
        return new IndexedDocument(d.Document.Id, d.Document.Title, segments);
    }

    /// <summary>The documents' segments as the dense index takes them, grouped by document in order.</summary>
    public static void AddDense(IReadOnlyList<ChangedDocument> documents, List<DenseSegment> into)
    {
        foreach (var d in documents)
            foreach (var s in d.Segments)
                into.Add(new DenseSegment(d.Document.Id, s.Segment.Ordinal, d.Document.Title, Place(s.Segment), s.Segment.Text));
    }
}
