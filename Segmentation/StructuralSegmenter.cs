namespace Search.Segmentation;

/// <summary>
/// Cuts at the document's own structure (headings, paragraphs, transcript cues): consecutive blocks of
/// one section are packed up to the target size, a block longer than the hard maximum is split at
/// sentence ends (or, failing that, between tokens). No segment ever exceeds the maximum.
/// </summary>
public sealed class StructuralSegmenter : ISegmenter
{
    /// <summary>Joins the headings of a section path for display and indexing.</summary>
    public const string PathSeparator = " > ";

    private readonly SegmenterOptions _options;

    /// <summary>Creates a segmenter with the given limits.</summary>
    public StructuralSegmenter(SegmenterOptions? options = null)
    {
        _options = options ?? new SegmenterOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public IReadOnlyList<SegmentDraft> Segment(ExtractedDocument document) => Segment(document, null);

    /// <summary>Segments with extra places to cut: the indices of blocks that start a new topic.</summary>
    public IReadOnlyList<SegmentDraft> Segment(ExtractedDocument document, IReadOnlySet<int>? topicStarts)
    {
        var blocks = document.Blocks;
        string text = DocumentText.Compose(blocks, out int[] starts);
        var output = new List<SegmentDraft>();
        var group = new List<int>();
        int groupTokens = 0;
        int pendingHeading = -1;

        void Flush()
        {
            if (group.Count == 0) return;
            int first = group[0], last = group[^1];
            Emit(output, text, starts[first], starts[last] + blocks[last].RenderedText.Length, blocks, group);
            group.Clear();
            groupTokens = 0;
        }

        void FlushHeading()
        {
            if (pendingHeading < 0) return;
            int h = pendingHeading;
            pendingHeading = -1;
            if (Tokens.Count(blocks[h].RenderedText) > _options.MaxTokens) SplitLongBlock(output, text, starts[h], blocks[h]);
            else Emit(output, text, starts[h], starts[h] + blocks[h].RenderedText.Length, blocks, [h]);
        }

        for (int i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            if (block.RenderedText.Length == 0) continue;
            if (block.Kind == BlockKind.Heading)
            {
                Flush();
                FlushHeading(); // a heading whose section had no content is still findable
                pendingHeading = i;
                continue;
            }
            int tokens = Tokens.Count(block.RenderedText);
            if (tokens == 0) continue;
            pendingHeading = -1;
            bool sameSection = group.Count == 0 || SamePath(blocks[group[0]].SectionPath, block.SectionPath);
            bool newTopic = topicStarts is not null && topicStarts.Contains(i);
            if (group.Count > 0 && (!sameSection || newTopic || groupTokens + tokens > _options.TargetTokens)) Flush();
            if (tokens > _options.MaxTokens)
            {
                SplitLongBlock(output, text, starts[i], block);
                continue;
            }
            group.Add(i);
            groupTokens += tokens;
        }
        Flush();
        FlushHeading();
        return output;
    }

    private static bool SamePath(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal)) return false;
        return true;
    }

    private static void Emit(List<SegmentDraft> output, string text, int start, int end, IReadOnlyList<TextBlock> blocks, List<int> members)
    {
        double? startSec = null, endSec = null;
        string? speaker = blocks[members[0]].Speaker;
        foreach (int m in members)
        {
            var b = blocks[m];
            if (b.StartSeconds is double s && (startSec is null || s < startSec)) startSec = s;
            if (b.EndSeconds is double e && (endSec is null || e > endSec)) endSec = e;
            if (!string.Equals(b.Speaker, speaker, StringComparison.Ordinal)) speaker = null;
        }
        AddTrimmed(output, text, start, end, string.Join(PathSeparator, blocks[members[0]].SectionPath), startSec, endSec, speaker);
    }

    private static void AddTrimmed(List<SegmentDraft> output, string text, int start, int end, string path, double? startSec, double? endSec, string? speaker)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end <= start) return;
        output.Add(new SegmentDraft(output.Count, text[start..end], start, end, path, startSec, endSec, speaker));
    }

    /// <summary>Splits one block into pieces of at most MaxTokens, preferring to cut after a sentence end in the second half of a piece.</summary>
    private void SplitLongBlock(List<SegmentDraft> output, string text, int blockStart, TextBlock block)
    {
        string body = block.RenderedText;
        string path = string.Join(PathSeparator, block.SectionPath);
        int max = _options.MaxTokens;
        int pieceStart = 0;
        while (pieceStart < body.Length)
        {
            int tokens = 0, pos = pieceStart, lastSentenceCut = -1, lastTokenCut = -1;
            bool inToken = false;
            while (pos < body.Length)
            {
                char c = body[pos];
                bool ws = char.IsWhiteSpace(c);
                if (!ws && !inToken)
                {
                    if (tokens == max) break; // this token would be one too many
                    tokens++;
                }
                if (ws && inToken)
                {
                    lastTokenCut = pos;
                    char prev = body[pos - 1];
                    if (tokens >= max / 2 && (prev == '.' || prev == '?' || prev == '!' || prev == ';')) lastSentenceCut = pos;
                }
                inToken = !ws;
                pos++;
            }
            int cut = pos >= body.Length ? body.Length : lastSentenceCut > 0 ? lastSentenceCut : lastTokenCut > pieceStart ? lastTokenCut : pos;
            double? s = Interpolate(block, pieceStart, body.Length), e = Interpolate(block, cut, body.Length);
            AddTrimmed(output, text, blockStart + pieceStart, blockStart + cut, path, s, e, block.Speaker);
            pieceStart = cut;
        }
    }

    private static double? Interpolate(TextBlock block, int offset, int length)
    {
        if (block.StartSeconds is not double s) return null;
        if (block.EndSeconds is not double e || length == 0) return s;
        return s + (e - s) * offset / length;
    }
}
