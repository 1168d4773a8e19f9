using Search.Segmentation.Analysis;
using Search.Segmentation.Topics;

namespace Search.Segmentation;

/// <summary>
/// The ingestion segmenter: the document's own structure first (headings open sections), then topic
/// changes inside each section or transcript found by minimum description length over its blocks, then
/// the hard size limits. A retrieval segment never spans a heading or a topic change.
/// </summary>
public sealed class TopicalSegmenter(SegmenterOptions? options = null) : ISegmenter
{
    // Fewer blocks than this carry too little evidence for a topic change.
    private const int MinimumBlocks = 4;
    private readonly StructuralSegmenter _structure = new(options);

    /// <inheritdoc />
    public IReadOnlyList<SegmentDraft> Segment(ExtractedDocument document)
    {
        var segmenter = new DescriptionLengthSegmenter(Analyzer.English, DescriptionLengthOptions.ForKind(document.Kind));
        var starts = new HashSet<int>();
        var run = new List<int>();
        void Close()
        {
            if (run.Count >= MinimumBlocks)
            {
                var texts = new List<string>(run.Count);
                foreach (int i in run) texts.Add(document.Blocks[i].Text);
                foreach (int b in segmenter.Boundaries(texts)) starts.Add(run[b]);
            }
            run.Clear();
        }
        var blocks = document.Blocks;
        for (int i = 0; i < blocks.Count; i++)
        {
            if (blocks[i].Kind == BlockKind.Heading)
            {
                Close();
                continue;
            }
            if (string.IsNullOrWhiteSpace(blocks[i].Text)) continue;
            if (run.Count > 0 && !SameSection(blocks[run[0]], blocks[i])) Close();
            run.Add(i);
        }
        Close();
        return _structure.Segment(document, starts);
    }

    private static bool SameSection(TextBlock a, TextBlock b) => a.SectionPath.SequenceEqual(b.SectionPath, StringComparer.Ordinal);
}
