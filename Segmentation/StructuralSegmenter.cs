namespace Search.Segmentation;

/// <summary>
/// Cuts at the document's own structure (headings, paragraphs, transcript cues): consecutive blocks of
/// one section and topic are packed up to the target size (past it, up to the maximum, rather than leave
/// a piece under the minimum), a block longer than the hard maximum is split at sentence ends (or,
/// failing that, between tokens). No segment ever exceeds the maximum.
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
    public IReadOnlyList<Segment> Segment(ExtractedDocument document, Analysis.ITermStatistics? collection = null) => Segment(document, topicStarts: null);

    /// <summary>
    /// Segments with extra places to cut: the indices of blocks that start a new topic, and offsets in the
    /// composed text inside over-long blocks where one starts (those blocks are split there first, then by size).
    /// </summary>
    public IReadOnlyList<Segment> Segment(ExtractedDocument document, IReadOnlySet<int>? topicStarts, IReadOnlySet<int>? topicCuts = null)
    {
        var blocks = document.Blocks;
        string text = DocumentText.Compose(blocks, out int[] starts);
        // A run is a stretch of content blocks in one section and one topic; segments never cross runs.
        var tokens = new int[blocks.Count];
        var run = new int[blocks.Count];
        int runs = 0, lastContent = -1;
        bool headingSince = false;
        for (int i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i];
            if (b.Kind == BlockKind.Heading)
            {
                headingSince = true;
                continue;
            }
            tokens[i] = Tokens.Count(b.RenderedText);
            if (tokens[i] == 0) continue;
            bool newRun = lastContent < 0 || headingSince || !SamePath(blocks[lastContent].SectionPath, b.SectionPath) || (topicStarts?.Contains(i) ?? false);
            run[i] = newRun ? ++runs : runs;
            lastContent = i;
            headingSince = false;
        }
        // restOfRun[i]: tokens in the blocks of i's run that come after i.
        var restOfRun = new int[blocks.Count];
        for (int i = blocks.Count - 1, after = 0, currentRun = -1; i >= 0; i--)
        {
            if (tokens[i] == 0) continue;
            if (run[i] != currentRun)
            {
                currentRun = run[i];
                after = 0;
            }
            restOfRun[i] = after;
            after += tokens[i];
        }

        var output = new List<Segment>();
        var outputRuns = new List<int>(); // the run of each segment; 0 for a heading's own segment
        var group = new List<int>();
        int groupTokens = 0;
        int pendingHeading = -1;

        void Flush()
        {
            if (group.Count == 0) return;
            int first = group[0], last = group[^1];
            Emit(output, text, starts[first], starts[last] + blocks[last].RenderedText.Length, blocks, group);
            while (outputRuns.Count < output.Count) outputRuns.Add(run[first]);
            group.Clear();
            groupTokens = 0;
        }

        void FlushHeading()
        {
            if (pendingHeading < 0) return;
            int h = pendingHeading;
            pendingHeading = -1;
            if (Tokens.Count(blocks[h].RenderedText) > _options.MaxTokens) SplitLongBlock(output, text, starts[h], blocks[h], null);
            else Emit(output, text, starts[h], starts[h] + blocks[h].RenderedText.Length, blocks, [h]);
            while (outputRuns.Count < output.Count) outputRuns.Add(0);
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
            int size = tokens[i];
            if (size == 0) continue;
            pendingHeading = -1;
            if (group.Count > 0 && (run[group[0]] != run[i] || !Fits(groupTokens, size, restOfRun[i]))) Flush();
            if (size > _options.MaxTokens)
            {
                Flush();
                SplitLongBlock(output, text, starts[i], block, topicCuts);
                while (outputRuns.Count < output.Count) outputRuns.Add(run[i]);
                continue;
            }
            group.Add(i);
            groupTokens += size;
        }
        Flush();
        FlushHeading();
        return JoinSmallPieces(output, outputRuns, text);
    }

    /// <summary>
    /// A segment under the minimum (left beside a split long block, say) joins the smaller of its
    /// neighbours in the same run when the two together stay within the maximum.
    /// </summary>
    private List<Segment> JoinSmallPieces(List<Segment> segments, List<int> runs, string text)
    {
        int min = _options.EffectiveMinTokens, max = _options.MaxTokens;
        var sizes = new List<int>(segments.Count);
        foreach (var s in segments) sizes.Add(Tokens.Count(s.Text));
        for (int i = 0; i < segments.Count; i++)
        {
            if (sizes[i] >= min || runs[i] == 0) continue;
            int best = -1;
            foreach (int j in (ReadOnlySpan<int>)[i - 1, i + 1])
                if (j >= 0 && j < segments.Count && runs[j] == runs[i] && sizes[i] + sizes[j] <= max && (best < 0 || sizes[j] < sizes[best])) best = j;
            if (best < 0) continue;
            int a = Math.Min(i, best), b = Math.Max(i, best);
            segments[a] = Join(segments[a], segments[b], text);
            sizes[a] += sizes[b];
            segments.RemoveAt(b);
            sizes.RemoveAt(b);
            runs.RemoveAt(b);
            i = a - 1; // the joined segment may itself still be small
        }
        for (int i = 0; i < segments.Count; i++)
            if (segments[i].Ordinal != i) segments[i] = segments[i] with { Ordinal = i };
        return segments;
    }

    private static Segment Join(Segment a, Segment b, string text) => a with
    {
        Text = text[a.StartChar..b.EndChar],
        EndChar = b.EndChar,
        StartSeconds = a.StartSeconds ?? b.StartSeconds,
        EndSeconds = b.EndSeconds ?? a.EndSeconds,
        Speaker = string.Equals(a.Speaker, b.Speaker, StringComparison.Ordinal) ? a.Speaker : null,
    };

    // Whether a block of 'size' tokens joins a group of 'group' tokens: up to the target, or beyond it (never
    // beyond the maximum) when the group is still under the minimum or when what is left of the run is.
    private bool Fits(int group, int size, int rest)
    {
        if (group + size <= _options.TargetTokens) return true;
        if (group + size > _options.MaxTokens) return false;
        return group < _options.EffectiveMinTokens || (rest < _options.EffectiveMinTokens && group + size + rest <= _options.MaxTokens);
    }

    private static bool SamePath(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal)) return false;
        return true;
    }

    private static void Emit(List<Segment> output, string text, int start, int end, IReadOnlyList<TextBlock> blocks, List<int> members)
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

    private static void AddTrimmed(List<Segment> output, string text, int start, int end, string path, double? startSec, double? endSec, string? speaker)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end <= start) return;
        output.Add(new Segment(output.Count, text[start..end], start, end, path, startSec, endSec, speaker));
    }

    /// <summary>
    /// Splits one block into pieces of at most MaxTokens: first at the topic cuts that fall inside it, then each
    /// part after the last sentence end in the second half of a piece (or between tokens when there is none);
    /// the last two pieces of a part share what is left evenly rather than leave a fragment under the minimum.
    /// </summary>
    private void SplitLongBlock(List<Segment> output, string text, int blockStart, TextBlock block, IReadOnlySet<int>? topicCuts)
    {
        string body = block.RenderedText;
        string path = string.Join(PathSeparator, block.SectionPath);
        var pieces = Tokens.Ranges(body);
        var sentenceEnds = new HashSet<int>(Structure.SentenceSplitter.Ends(body));
        int max = _options.MaxTokens, min = _options.EffectiveMinTokens;
        int p = 0;
        while (p < pieces.Count)
        {
            // This part ends where the next topic cut inside the block falls (pieces are in order).
            int partEnd = pieces.Count;
            if (topicCuts is { Count: > 0 })
                for (int c = p + 1; c < pieces.Count; c++)
                    if (topicCuts.Contains(blockStart + pieces[c].Start))
                    {
                        partEnd = c;
                        break;
                    }
            int remaining = partEnd - p;
            int q = partEnd;
            if (remaining > max)
            {
                int limit = remaining < max + min ? (remaining + 1) / 2 : max;
                q = p + limit;
                for (int c = p + limit; c > p + limit / 2; c--)
                    if (sentenceEnds.Contains(pieces[c - 1].End))
                    {
                        q = c;
                        break;
                    }
            }
            int from = pieces[p].Start, to = pieces[q - 1].End;
            double? s = Interpolate(block, from, body.Length), e = Interpolate(block, to, body.Length);
            AddTrimmed(output, text, blockStart + from, blockStart + to, path, s, e, block.Speaker);
            p = q;
        }
    }

    private static double? Interpolate(TextBlock block, int offset, int length)
    {
        if (block.StartSeconds is not double s) return null;
        if (block.EndSeconds is not double e || length == 0) return s;
        return s + (e - s) * offset / length;
    }
}
