using Search.Segmentation.Analysis;
using Search.Segmentation.Structure;
using Search.Segmentation.Topics;

namespace Search.Segmentation;

/// <summary>
/// The ingestion segmenter: the document's own structure first (headings open sections), then topic
/// changes inside each section or transcript found by minimum description length over its blocks, then
/// the hard size limits. A retrieval segment never spans a heading or a topic change. In legal text a
/// break inside a numbered clause is penalised; in a transcript the topics become titled chapters with
/// start and end times, and every segment carries its chapter.
/// </summary>
public sealed class TopicalSegmenter(SegmenterOptions? options = null) : ISegmenter
{
    // Fewer blocks than this carry too little evidence for a topic change.
    private const int MinimumBlocks = 4;

    // Price (in nats of description length) of starting a topic inside a numbered clause: a clause's
    // sub-clauses and continuation paragraphs belong with it unless the text changes very clearly.
    private const double InsideClausePenalty = 12;

    private readonly StructuralSegmenter _structure = new(options);
    private readonly int _maxTokens = (options ?? new SegmenterOptions()).MaxTokens;
    private readonly int _targetTokens = (options ?? new SegmenterOptions()).TargetTokens;

    /// <inheritdoc />
    public IReadOnlyList<Segment> Segment(ExtractedDocument document, ITermStatistics? collection = null)
    {
        var segmenter = new DescriptionLengthSegmenter(Analyzer.English, DescriptionLengthOptions.ForKind(document.Kind), collection?.WordClasses);
        var blocks = document.Blocks;
        DocumentText.Compose(blocks, out int[] blockStarts);
        var starts = new HashSet<int>(); // blocks that open a topic
        var cuts = new HashSet<int>();   // places inside over-long blocks (offsets in the composed text) that open one
        var run = new List<TopicUnit>();
        var texts = new List<string>();
        void Close()
        {
            if (run.Count >= MinimumBlocks)
            {
                texts.Clear();
                foreach (var u in run) texts.Add(u.Text);
                var prior = document.Kind == DocumentKind.Legal ? ClausePrior(texts) : null;
                var inside = new List<TopicUnit>();
                foreach (int b in segmenter.Boundaries(texts, prior))
                    if (run[b].Offset == 0) starts.Add(run[b].Block);
                    else inside.Add(run[b]);
                foreach (var cut in SparseCuts(inside, blocks)) cuts.Add(blockStarts[cut.Block] + cut.Offset);
            }
            run.Clear();
        }
        for (int i = 0; i < blocks.Count; i++)
        {
            if (blocks[i].Kind == BlockKind.Heading)
            {
                Close();
                continue;
            }
            if (string.IsNullOrWhiteSpace(blocks[i].Text)) continue;
            if (run.Count > 0 && !SameSection(blocks[run[0].Block], blocks[i])) Close();
            AddUnits(run, i, blocks[i], document.Kind);
        }
        Close();
        var segments = _structure.Segment(document, starts, cuts);
        return document.Kind == DocumentKind.Transcript ? WithChapters(document, starts, segments, collection) : segments;
    }

    /// <summary>
    /// The topic changes inside long blocks that leave at least a target-sized segment on each side: a long
    /// block is cut where its topic changes instead of at a size point, but not into more pieces than its
    /// length calls for (an abstract of 450 tokens becomes two segments split at its topic change, not four).
    /// </summary>
    private List<TopicUnit> SparseCuts(List<TopicUnit> inside, IReadOnlyList<TextBlock> blocks)
    {
        var kept = new List<TopicUnit>();
        int block = -1, lastKept = 0, total = 0;
        string rendered = "";
        foreach (var cut in inside) // in document order
        {
            if (cut.Block != block)
            {
                block = cut.Block;
                rendered = blocks[block].RenderedText;
                total = Tokens.Count(rendered);
                lastKept = 0;
            }
            int at = Tokens.Count(rendered.AsSpan(0, cut.Offset));
            if (at - lastKept < _targetTokens || total - at < _targetTokens) continue;
            kept.Add(cut);
            lastKept = at;
        }
        return kept;
    }

    /// <summary>A unit of topic detection: a whole block, or one sentence of a block too long to be one segment.</summary>
    private readonly record struct TopicUnit(int Block, int Offset, string Text);

    /// <summary>
    /// A block is one unit, unless it is longer than a segment may be: then its sentences are the units, so a
    /// topic that changes inside a long paragraph (a book, a flattened PDF page) is found where it changes
    /// rather than cut at the size limit. Transcript cues stay whole: chapters begin at cues.
    /// </summary>
    private void AddUnits(List<TopicUnit> run, int index, TextBlock block, DocumentKind kind)
    {
        string rendered = block.RenderedText;
        if (kind == DocumentKind.Transcript || Tokens.Count(rendered) <= _maxTokens)
        {
            run.Add(new TopicUnit(index, 0, block.Text));
            return;
        }
        int from = 0;
        foreach (int end in SentenceSplitter.Ends(rendered))
        {
            run.Add(new TopicUnit(index, from, rendered[from..end]));
            from = end;
            while (from < rendered.Length && char.IsWhiteSpace(rendered[from])) from++;
        }
        if (from < rendered.Length) run.Add(new TopicUnit(index, from, rendered[from..]));
    }

    /// <summary>A start cost per unit: zero where a clause (or unnumbered prose) begins, a penalty inside a numbered clause.</summary>
    private static double[] ClausePrior(List<string> units)
    {
        var prior = new double[units.Count];
        bool insideClause = false;
        string? previousLetter = null;
        for (int i = 0; i < units.Count; i++)
        {
            var label = LegalNumbering.Parse(units[i], previousLetter);
            if (label is { IsClause: true })
            {
                insideClause = true;
                previousLetter = null;
                continue;
            }
            if (label is { Level: 5 }) previousLetter = label.Label.Trim('(', ')');
            if (insideClause) prior[i] = InsideClausePenalty;
        }
        return prior;
    }

    /// <summary>Chapters are the transcript's topical stretches; each segment is tagged with the chapter its first cue is in.</summary>
    private static IReadOnlyList<Segment> WithChapters(ExtractedDocument document, HashSet<int> topicStarts, IReadOnlyList<Segment> segments, ITermStatistics? collection)
    {
        var blocks = document.Blocks;
        DocumentText.Compose(blocks, out int[] blockStarts);
        // Chapter c covers blocks [firsts[c], firsts[c + 1]).
        var firsts = new List<int> { 0 };
        for (int i = 1; i < blocks.Count; i++)
            if (topicStarts.Contains(i)) firsts.Add(i);
        var utterances = new List<IReadOnlyList<string>>(firsts.Count);
        for (int c = 0; c < firsts.Count; c++)
        {
            int end = c + 1 < firsts.Count ? firsts[c + 1] : blocks.Count;
            var list = new List<string>(end - firsts[c]);
            for (int i = firsts[c]; i < end; i++) list.Add(blocks[i].Text);
            utterances.Add(list);
        }
        var titles = ChapterTitler.Titles(utterances, collection);
        var chapters = new Chapter[firsts.Count];
        for (int c = 0; c < firsts.Count; c++)
        {
            int end = c + 1 < firsts.Count ? firsts[c + 1] : blocks.Count;
            double? start = null, stop = null;
            for (int i = firsts[c]; i < end; i++)
            {
                if (blocks[i].StartSeconds is double s && start is null) start = s;
                if (blocks[i].EndSeconds is double e && (stop is null || e > stop)) stop = e;
                else if (blocks[i].StartSeconds is double s2 && (stop is null || s2 > stop)) stop = s2;
            }
            chapters[c] = new Chapter(c, titles[c], start, stop);
        }
        var result = new List<Segment>(segments.Count);
        foreach (var segment in segments)
        {
            int block = Array.BinarySearch(blockStarts, segment.StartChar);
            if (block < 0) block = ~block - 1; // a segment may start inside a long block
            int chapter = firsts.BinarySearch(Math.Max(0, block));
            if (chapter < 0) chapter = ~chapter - 1;
            result.Add(segment with { Chapter = chapters[Math.Max(0, chapter)] });
        }
        return result;
    }

    private static bool SameSection(TextBlock a, TextBlock b) => a.SectionPath.SequenceEqual(b.SectionPath, StringComparer.Ordinal);
}
