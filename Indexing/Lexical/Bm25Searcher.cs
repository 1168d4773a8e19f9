using System.Text;
using Search.Indexing.Lexical.Codec;

namespace Search.Indexing.Lexical;

/// <summary>Query terms after analysis: distinct terms in first-occurrence order with their counts.</summary>
public sealed class QueryTerms
{
    /// <summary>The distinct terms.</summary>
    public List<string> Terms { get; } = [];

    /// <summary>Their UTF-8 bytes.</summary>
    public List<byte[]> Utf8 { get; } = [];

    /// <summary>How often each occurs in the query.</summary>
    public List<int> Counts { get; } = [];

    /// <summary>Builds from analyzed terms.</summary>
    public static QueryTerms From(IReadOnlyList<string> analyzed)
    {
        var q = new QueryTerms();
        foreach (var t in analyzed)
        {
            int i = q.Terms.IndexOf(t);
            if (i >= 0)
            {
                q.Counts[i]++;
                continue;
            }
            q.Terms.Add(t);
            q.Utf8.Add(Encoding.UTF8.GetBytes(t));
            q.Counts.Add(1);
        }
        return q;
    }
}

/// <summary>
/// Exact top-k BM25 over a snapshot with dynamic pruning: MaxScore across the query's postings lists,
/// refined with per-block maxima, and an exhaustive mode that scores every match (the reference the
/// pruned results must equal). Scores are summed in one canonical order — per field in query-term
/// order, then title + section + body — so pruning never changes a score or a tie.
/// </summary>
public sealed class Bm25Searcher(Bm25Parameters parameters)
{
    // Upper bounds are inflated by this factor so that rounding in partial sums never prunes a document that would tie.
    private const double Slack = 1 + 1e-9;
    private const int Fields = SegmentFormat.FieldCount;

    private sealed class Scorer
    {
        public readonly PostingCursor Cursor = new();
        public int Slot; // term * Fields + field
        public int Field;
        public double Weight;
        public double UpperBound;
        // BM25's length normalisation k1·(1 − b + b·len/avg) as constant + perLength·len, folded once per query.
        public double NormConstant;
        public double NormPerLength;

        public double Saturation(int tf, int length) => tf / (tf + NormConstant + NormPerLength * length);

        public double BlockBound(int block) => Weight * Cursor.MaxSaturation(block, NormConstant, NormPerLength);
    }

    // Scorers (each with two 128-entry block buffers) and score scratch are reused per thread, so a
    // query allocates little beyond its analysed terms and its hits.
    [ThreadStatic] private static List<Scorer>? t_pool;
    [ThreadStatic] private static List<Scorer>? t_scorers;
    [ThreadStatic] private static double[]? t_contributions;

    /// <summary>Runs a query against a snapshot.</summary>
    public List<LexicalHit> Search(IndexSnapshot snapshot, QueryTerms query, LexicalQuery request)
    {
        var top = new TopHits(request.K, request.GroupByDocument);
        int termCount = query.Terms.Count;
        if (termCount == 0 || snapshot.LiveCount == 0) return [];
        double[] weights = [parameters.TitleWeight, parameters.SectionWeight, parameters.BodyWeight];
        var idf = new double[termCount];
        for (int t = 0; t < termCount; t++)
        {
            long df = snapshot.DocumentFrequency(query.Utf8[t]);
            idf[t] = df == 0 ? 0 : Bm25Parameters.Idf(snapshot.DocumentCount, df) * query.Counts[t];
        }
        if (request.RequireAllTerms && Array.IndexOf(idf, 0.0) >= 0) return []; // a term absent from the whole index matches nothing
        var pool = t_pool ??= [];
        var scorers = t_scorers ??= [];
        if (t_contributions is null || t_contributions.Length < termCount * Fields) t_contributions = new double[Math.Max(64, termCount * Fields)];
        var contributions = t_contributions;
        Span<bool> termHasList = stackalloc bool[termCount];
        foreach (var segment in snapshot.Segments)
        {
            if (segment.LiveCount == 0) continue;
            var reader = segment.Segment.Reader;
            scorers.Clear();
            termHasList.Clear();
            for (int t = 0; t < termCount; t++)
            {
                if (idf[t] == 0) continue;
                int rank = reader.FindTerm(query.Utf8[t]);
                if (rank < 0) continue;
                for (int f = 0; f < Fields; f++)
                {
                    if (weights[f] == 0) continue;
                    if (pool.Count <= scorers.Count) pool.Add(new Scorer());
                    var s = pool[scorers.Count];
                    if (!reader.OpenPostings(rank, f, s.Cursor)) continue;
                    s.Slot = t * Fields + f;
                    s.Field = f;
                    s.Weight = weights[f] * idf[t];
                    double average = snapshot.AverageLengths[f];
                    s.NormConstant = average > 0 ? parameters.K1 * (1 - parameters.B) : parameters.K1;
                    s.NormPerLength = average > 0 ? parameters.K1 * parameters.B / average : 0;
                    s.UpperBound = ListBound(s);
                    scorers.Add(s);
                    termHasList[t] = true;
                }
            }
            if (scorers.Count == 0) continue;
            if (request.RequireAllTerms)
            {
                bool all = true;
                for (int t = 0; t < termCount; t++) all &= termHasList[t] || idf[t] == 0;
                if (!all) continue;
                Conjunctive(segment, scorers, termCount, contributions, request, top);
            }
            else
            {
                MaxScore(segment, scorers, termCount, contributions, request, top);
            }
            top.FlushPending();
        }
        return top.Drain();
    }

    private static double ListBound(Scorer s) => s.Weight * s.Cursor.ListMaxSaturation(s.NormConstant, s.NormPerLength) * Slack;

    private static double Contribution(Scorer s) => s.Weight * s.Saturation(s.Cursor.Frequency, s.Cursor.FieldLength);

    /// <summary>Sums the contributions in canonical order and offers the hit unless it cannot enter the top k.</summary>
    private static void Offer(TopHits top, SegmentReader reader, int doc, double[] contributions, int termCount)
    {
        double title = 0, section = 0, body = 0;
        for (int t = 0; t < termCount; t++)
        {
            title += contributions[t * Fields];
            section += contributions[t * Fields + 1];
            body += contributions[t * Fields + 2];
        }
        double score = title + section + body;
        if (score < top.Threshold) return; // an equal score may still enter by id
        top.Offer(new LexicalHit(reader.DocumentId(doc), reader.Ordinal(doc), score, new FieldScores(title, section, body)));
    }

    private static readonly Comparison<Scorer> ByUpperBound = (a, b) => a.UpperBound.CompareTo(b.UpperBound);

    private void MaxScore(SnapshotSegment segment, List<Scorer> scorers, int termCount, double[] contributions, LexicalQuery request, TopHits top)
    {
        var reader = segment.Segment.Reader;
        scorers.Sort(ByUpperBound);
        int n = scorers.Count;
        Span<double> prefix = stackalloc double[n];
        double running = 0;
        for (int i = 0; i < n; i++)
        {
            running += scorers[i].UpperBound;
            prefix[i] = running;
            scorers[i].Cursor.Next();
        }
        bool exhaustive = request.Exhaustive;
        double threshold = exhaustive ? double.NegativeInfinity : top.Threshold;
        int firstEssential = FirstEssential(prefix, threshold);
        var filter = request.DocumentFilter;
        while (firstEssential < n)
        {
            int candidate = PostingCursor.NoMoreDocs;
            for (int i = firstEssential; i < n; i++)
                if (scorers[i].Cursor.Doc < candidate) candidate = scorers[i].Cursor.Doc;
            if (candidate == PostingCursor.NoMoreDocs) break;

            bool skip = segment.IsDeleted(candidate) || (filter is not null && !filter(reader.DocumentId(candidate)));
            Array.Clear(contributions, 0, termCount * Fields);
            double partial = 0;
            for (int i = firstEssential; i < n; i++)
            {
                var s = scorers[i];
                if (s.Cursor.Doc != candidate) continue;
                if (!skip)
                {
                    double c = Contribution(s);
                    contributions[s.Slot] = c;
                    partial += c;
                }
                s.Cursor.Next();
            }
            if (skip) continue;
            bool pruned = false;
            for (int i = firstEssential - 1; i >= 0; i--)
            {
                double rest = i > 0 ? prefix[i - 1] : 0;
                if ((partial + prefix[i]) * Slack < threshold)
                {
                    pruned = true;
                    break;
                }
                var s = scorers[i];
                var cursor = s.Cursor;
                if (cursor.Doc < candidate)
                {
                    int block = cursor.BlockFor(candidate);
                    if (block < 0) continue;
                    double blockBound = s.BlockBound(block) * Slack;
                    if ((partial + blockBound + rest) * Slack < threshold)
                    {
                        pruned = true;
                        break;
                    }
                    cursor.Advance(candidate);
                }
                if (cursor.Doc == candidate)
                {
                    double c = Contribution(s);
                    contributions[s.Slot] = c;
                    partial += c;
                }
            }
            if (pruned) continue;
            Offer(top, reader, candidate, contributions, termCount);
            if (!exhaustive && top.Threshold > threshold)
            {
                threshold = top.Threshold;
                firstEssential = FirstEssential(prefix, threshold);
            }
        }
    }

    private static int FirstEssential(ReadOnlySpan<double> prefix, double threshold)
    {
        int i = 0;
        while (i < prefix.Length && prefix[i] * Slack < threshold) i++;
        return i;
    }

    /// <summary>Documents that contain every query term (in any field), led by the rarest term.</summary>
    private void Conjunctive(SnapshotSegment segment, List<Scorer> scorers, int termCount, double[] contributions, LexicalQuery request, TopHits top)
    {
        var reader = segment.Segment.Reader;
        var byTerm = new List<Scorer>[termCount];
        var sizes = new long[termCount];
        for (int t = 0; t < termCount; t++) byTerm[t] = [];
        foreach (var s in scorers)
        {
            int t = s.Slot / Fields;
            byTerm[t].Add(s);
            sizes[t] += s.Cursor.Count;
            s.Cursor.Next();
        }
        var order = Enumerable.Range(0, termCount).ToArray();
        Array.Sort(sizes, order);
        var lead = byTerm[order[0]];
        var filter = request.DocumentFilter;
        double bound = 0;
        int boundUpTo = -1;
        while (true)
        {
            int candidate = PostingCursor.NoMoreDocs;
            foreach (var s in lead)
                if (s.Cursor.Doc < candidate) candidate = s.Cursor.Doc;
            if (candidate == PostingCursor.NoMoreDocs) return;
            double threshold = request.Exhaustive ? double.NegativeInfinity : top.Threshold;
            if (threshold > double.NegativeInfinity)
            {
                // Block-max: the blocks' maxima bound every document up to the end of the shortest of those
                // blocks; computed once per such range, and when they cannot reach the threshold the range is skipped.
                if (candidate > boundUpTo)
                {
                    bound = 0;
                    boundUpTo = int.MaxValue;
                    foreach (var s in scorers)
                    {
                        int block = s.Cursor.BlockFor(Math.Max(candidate, s.Cursor.Doc));
                        if (block < 0) continue;
                        bound += s.BlockBound(block);
                        boundUpTo = Math.Min(boundUpTo, s.Cursor.BlockLastDoc(block));
                    }
                }
                if (bound * Slack < threshold)
                {
                    int target = boundUpTo == int.MaxValue ? PostingCursor.NoMoreDocs : boundUpTo + 1;
                    foreach (var s in lead) s.Cursor.Advance(target);
                    continue;
                }
                // Per document: the lead's exact score plus the other terms' block maxima must reach the threshold,
                // or the others are not even advanced.
                double leadExact = 0, leadBound = 0;
                foreach (var s in lead)
                {
                    if (s.Cursor.Doc == candidate) leadExact += Contribution(s);
                    int block = s.Cursor.BlockFor(s.Cursor.Doc);
                    if (block >= 0) leadBound += s.BlockBound(block);
                }
                if ((leadExact + (bound - leadBound)) * Slack < threshold)
                {
                    foreach (var s in lead)
                        if (s.Cursor.Doc == candidate) s.Cursor.Next();
                    continue;
                }
            }
            bool match = !segment.IsDeleted(candidate) && (filter is null || filter(reader.DocumentId(candidate)));
            for (int k = 1; k < termCount && match; k++)
            {
                bool any = false;
                foreach (var s in byTerm[order[k]]) any |= s.Cursor.Advance(candidate) == candidate;
                match = any;
            }
            if (match)
            {
                Array.Clear(contributions, 0, termCount * Fields);
                foreach (var s in scorers)
                {
                    if (s.Cursor.Doc != candidate) s.Cursor.Advance(candidate);
                    if (s.Cursor.Doc == candidate) contributions[s.Slot] = Contribution(s);
                }
                Offer(top, reader, candidate, contributions, termCount);
            }
            foreach (var s in lead)
                if (s.Cursor.Doc == candidate) s.Cursor.Next();
        }
    }
}
