using System.Runtime.CompilerServices;
using Search.Segmentation.Analysis;

namespace Search.Segmentation.Topics;

/// <summary>Settings of <see cref="DescriptionLengthSegmenter"/>.</summary>
/// <param name="BoundaryCost">Multiplier of the cost of opening a segment (log of the word count); higher means fewer, longer segments.</param>
/// <param name="MinSegmentUnits">Fewest units in a segment.</param>
/// <param name="Smoothing">Additive smoothing of each segment's unigram model (1 is Laplace, as in U00).</param>
/// <param name="WindowWords">
/// Longest topical segment in words (a word with a class counts twice), and so the most text any boundary
/// decision looks at: the dynamic programme only prices segments that fit in this window, which bounds its
/// working set and makes time linear in the document's length (the document itself is held only as word
/// ids, 4 bytes a word).
/// </param>
/// <param name="ClassBoundaryCost">
/// <paramref name="BoundaryCost"/> when word classes are given: every word is then described twice (as
/// itself and as its class), so a segment's description is about twice as long and opening one costs more.
/// </param>
public sealed record DescriptionLengthOptions(double BoundaryCost = 1.0, int MinSegmentUnits = 1, double Smoothing = 1.0, int WindowWords = 8192, double ClassBoundaryCost = 2.0)
{
    /// <summary>
    /// The settings per kind of document, chosen on the development sets (a coarse grid over smoothing
    /// 0.1–2.5 and segment price 0.35–12, no finer): smoothing 1.5 for all; a segment costs 0.5 × log(words)
    /// in prose and legal text but 5 × in transcripts, because conversation shifts topic through many short
    /// turns whose words recur little, so only a much higher price keeps chance dips from becoming topics.
    /// With word classes the prices are 0.7 and 8 (a grid of 0.6–1.5 and 5–10; 0.6–0.8 is flat on both prose sets).
    /// </summary>
    public static DescriptionLengthOptions ForKind(DocumentKind kind) => kind == DocumentKind.Transcript
        ? new DescriptionLengthOptions(BoundaryCost: 5.0, Smoothing: 1.5, ClassBoundaryCost: 8.0)
        : new DescriptionLengthOptions(BoundaryCost: 0.5, Smoothing: 1.5, ClassBoundaryCost: 0.7);
}

/// <summary>
/// The segmentation that describes the text most compactly (after Utiyama and Isahara 2001): each
/// segment has its own smoothed unigram language model, the cost of a segment is the code length of its
/// words under that model, every segment costs log(words) more, and dynamic programming finds the exact
/// minimum over all segmentations whose segments fit in the window — the number of segments included.
/// With <paramref name="classes"/>, each word also counts as its topic class, so segments are priced on
/// what they are about as well as on the words they repeat.
/// </summary>
public sealed class DescriptionLengthSegmenter(Analyzer analyzer, DescriptionLengthOptions options, WordClasses? classes = null) : ITopicSegmenter
{
    /// <inheritdoc />
    public IReadOnlyList<int> Boundaries(IReadOnlyList<string> units) => Boundaries(units, null);

    /// <summary>
    /// Boundaries with a structural prior: <paramref name="startCost"/>[i] is added to the price of a
    /// segment that starts at unit i (negative where the structure invites a break, positive inside a
    /// numbered clause, <see cref="double.PositiveInfinity"/> where a break is not allowed).
    /// </summary>
    public IReadOnlyList<int> Boundaries(IReadOnlyList<string> units, IReadOnlyList<double>? startCost)
    {
        int n = units.Count;
        if (n < 2) return [];
        if (startCost is not null && startCost.Count != n) throw new ArgumentException("one start cost per unit is required", nameof(startCost));
        var vocabulary = Vocabulary.Count(analyzer, units, classes);
        if (vocabulary.TotalWords == 0) return [];
        double boundary = (classes is null ? options.BoundaryCost : options.ClassBoundaryCost) * Math.Log(vocabulary.TotalWords);
        double alpha = options.Smoothing;
        int v = vocabulary.Size;
        double smoothedVocabulary = alpha * v;
        var window = new UnitWindow(vocabulary, Math.Max(1, options.WindowWords));
        // The change in Σ f·log(f + α) when a count grows from f to f + 1, for every count a segment can reach.
        var gain = new double[(int)Math.Min(vocabulary.TotalWords, window.MaxWords + (long)vocabulary.LongestUnit) + 1];
        for (int f = 0; f < gain.Length; f++) gain[f] = Gain(f, alpha);
        // words · log(words + αV) for every segment length the window allows: one logarithm per length, not per segment.
        var lengthCost = new double[(int)Math.Min(vocabulary.TotalWords, window.MaxWords) + 1];
        for (int k = 0; k < lengthCost.Length; k++) lengthCost[k] = k * Math.Log(k + smoothedVocabulary);
        // best[j] = cheapest description of units [0, j); from[j] = where its last segment starts.
        var best = new double[n + 1];
        var from = new int[n + 1];
        var counts = new int[v];
        var touched = new int[v]; // the distinct words of the segment being grown, whose counts are cleared for the next
        int distinct = 0;
        int min = Math.Max(1, options.MinSegmentUnits);
        for (int j = 1; j <= n; j++)
        {
            window.Advance(j); // units [window.First, j) are in memory
            best[j] = double.PositiveInfinity;
            // Grow the segment ending at j leftwards one unit at a time, updating its cost incrementally:
            // cost = words · log(words + αV) − Σ_w f(w) · log(f(w) + α).
            for (int t = 0; t < distinct; t++) counts[touched[t]] = 0;
            distinct = 0;
            int words = 0;
            double sumFLogF = 0;
            bool forbidden = false;
            for (int i = j - 1; i >= window.First; i--)
            {
                var unit = window.Words(i);
                // Two sums, so consecutive additions do not wait on each other: this loop (units × window
                // words, the whole segmenter's cost) is bound by that latency, and two make it 1.5× faster.
                double even = 0, odd = 0;
                int k = 0;
                for (; k + 1 < unit.Length; k += 2)
                {
                    even += Count(unit[k], counts, touched, ref distinct, gain);
                    odd += Count(unit[k + 1], counts, touched, ref distinct, gain);
                }
                if (k < unit.Length) even += Count(unit[k], counts, touched, ref distinct, gain);
                sumFLogF += even + odd;
                words += unit.Length;
                if (words > window.MaxWords && i < j - 1) break; // a single over-long unit is still a segment
                if (j - i < min && !(i == 0 && j == n)) continue; // only a whole short document may be shorter
                if (double.IsPositiveInfinity(best[i])) continue;
                double prior = i > 0 && startCost is not null ? startCost[i] : 0;
                if (double.IsPositiveInfinity(prior))
                {
                    forbidden = true;
                    continue;
                }
                double cost = (words < lengthCost.Length ? lengthCost[words] : words * Math.Log(words + smoothedVocabulary)) - sumFLogF + boundary + prior;
                if (best[i] + cost < best[j])
                {
                    best[j] = best[i] + cost;
                    from[j] = i;
                }
            }
            if (double.IsPositiveInfinity(best[j]) && forbidden && !double.IsPositiveInfinity(best[j - 1]))
            {
                // Every start inside the window was forbidden: cut at the unit before, whatever the prior says.
                best[j] = best[j - 1];
                from[j] = j - 1;
            }
        }
        var boundaries = new List<int>();
        for (int end = n; end > 0; end = from[end])
            if (from[end] > 0) boundaries.Add(from[end]);
        boundaries.Reverse();
        return boundaries;
    }

    /// <summary>Counts one more occurrence of word <paramref name="w"/> in the growing segment; returns the change in Σ f·log(f + α).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Count(int w, int[] counts, int[] touched, ref int distinct, double[] gain)
    {
        int f = counts[w];
        if (f == 0) touched[distinct++] = w;
        counts[w] = f + 1;
        return gain[f];
    }

    private static double Gain(int f, double alpha) => (f + 1) * Math.Log(f + 1 + alpha) - (f == 0 ? 0 : f * Math.Log(f + alpha));

    /// <summary>
    /// The document's analysed words: an id per distinct word (and per word class met), each unit as ids
    /// (4 bytes a word, read once: analysis is the costly part), and how many there are.
    /// </summary>
    private sealed class Vocabulary
    {
        public int[][] Units { get; private init; } = [];
        public long TotalWords { get; private set; }
        public int LongestUnit { get; private set; }
        public int Size { get; private set; }

        // One pass over the text before any boundary is priced: the price of a segment depends on the document's length and vocabulary.
        public static Vocabulary Count(Analyzer analyzer, IReadOnlyList<string> units, WordClasses? classes)
        {
            var v = new Vocabulary { Units = new int[units.Count][] };
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
            var classIds = new Dictionary<int, int>(); // a class's id among the document's words
            var scratch = new List<int>();
            for (int i = 0; i < units.Count; i++)
            {
                scratch.Clear();
                analyzer.Analyze(units[i], term =>
                {
                    if (!lookup.TryGetValue(term, out int id)) lookup[term] = id = v.Size++;
                    scratch.Add(id);
                    if (classes is not null && classes.TryGetClass(term, out int wordClass))
                    {
                        if (!classIds.TryGetValue(wordClass, out int classId)) classIds[wordClass] = classId = v.Size++;
                        scratch.Add(classId);
                    }
                });
                v.Units[i] = [.. scratch];
                v.TotalWords += scratch.Count;
                v.LongestUnit = Math.Max(v.LongestUnit, scratch.Count);
            }
            return v;
        }
    }

    /// <summary>The units inside the window: those whose words a segment ending at the newest unit can reach.</summary>
    private sealed class UnitWindow(Vocabulary vocabulary, int maxWords)
    {
        private int _end;
        private long _held;

        public int MaxWords => maxWords;
        public int First { get; private set; }

        public void Advance(int end)
        {
            while (_end < end) _held += vocabulary.Units[_end++].Length;
            // Keep just enough units that the window's words can be reached from the newest unit.
            while (_end - First > 1 && _held - vocabulary.Units[First].Length > maxWords) _held -= vocabulary.Units[First++].Length;
        }

        public int[] Words(int unit) => vocabulary.Units[unit];
    }
}
