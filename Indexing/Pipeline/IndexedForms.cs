using Search.Indexing.Dense;
using Search.Indexing.Lexical;
using Search.Segmentation;
using Search.Segmentation.Analysis;

namespace Search.Indexing.Pipeline;

/// <summary>Stored documents as each index takes them.</summary>
public static class IndexedForms
{
    /// <summary>Where a segment sits, as indexes read it: its section path and, in a transcript, its chapter title.</summary>
    public static string Place(Segment s) =>
        s.Chapter is null ? s.SectionPath : s.SectionPath.Length == 0 ? s.Chapter.Title : s.SectionPath + StructuralSegmenter.PathSeparator + s.Chapter.Title;

    /// <summary>A segment's words as indexes and embedders read them: a transcript's without its transcriber's annotations.</summary>
    public static string Text(Segment s) =>
        s.Chapter is not null || s.Speaker is not null || s.StartSeconds is not null ? NonSpeechAnnotations.Strip(s.Text) : s.Text;

    /// <summary>The document as the lexical index takes it.</summary>
    public static IndexedDocument Lexical(ChangedDocument d)
    {
        var segments = new List<IndexedSegment>(d.Segments.Count);
        foreach (var s in d.Segments) segments.Add(new IndexedSegment(s.Segment.Ordinal, Place(s.Segment), Text(s.Segment)));
        return new IndexedDocument(d.Document.Id, d.Document.Title, segments);
    }

    /// <summary>The documents' segments as the dense index takes them, grouped by document in order.</summary>
    public static void AddDense(IReadOnlyList<ChangedDocument> documents, List<DenseSegment> into)
    {
        foreach (var d in documents)
            foreach (var s in d.Segments)
                into.Add(new DenseSegment(d.Document.Id, s.Segment.Ordinal, d.Document.Title, Place(s.Segment), Text(s.Segment)));
    }
}
