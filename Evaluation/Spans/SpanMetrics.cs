namespace Search.Evaluation.Spans;

/// <summary>A retrieved passage as turns of a meeting: inclusive, 0-based turn indices.</summary>
public readonly record struct SpanHit(string Document, int FirstTurn, int LastTurn, double Score);

/// <summary>The span metrics, computed as <c>shared/scorers/span_metrics.py</c> defines them (macro means over the judged queries).</summary>
public sealed record SpanMetricValues(int Queries, int QueriesWithHits, double Ndcg10, double Ndcg10Once, double Hit10, double Recall10, double DocHit1, double TurnsPerHit, int NdcgAboveOne);

/// <summary>
/// Span-level passage retrieval metrics: a hit's gain is the share of its turns inside the query's gold
/// spans (0 in another meeting); nDCG@10 against the gold spans as the ideal list (uncapped, and the
/// once-per-span variant), hit@10, recall@10 of gold turns, dochit@1 and turns per hit.
/// </summary>
public static class SpanMetrics
{
    private const int K = 10;

    /// <summary>Scores a run; <paramref name="qrels"/> maps query → (meeting, gold spans).</summary>
    public static SpanMetricValues Evaluate(IReadOnlyDictionary<string, (string Document, List<(int First, int Last)> Spans)> qrels, IReadOnlyDictionary<string, List<SpanHit>> run)
    {
        double ndcg = 0, once = 0, hit = 0, recall = 0, docHit = 0, turnsSum = 0;
        int withHits = 0, aboveOne = 0, turnsQueries = 0;
        foreach (var (query, (document, spans)) in qrels)
        {
            var hits = run.TryGetValue(query, out var h) ? h : [];
            if (hits.Count > 0) withHits++;
            int n = Math.Min(K, hits.Count);
            var merged = Merge(spans);
            int gold = 0;
            foreach (var (a, b) in merged) gold += b - a + 1;
            double idcg = 0, idcgOnce = 0;
            for (int i = 0; i < Math.Min(K, spans.Count); i++) idcg += 1 / Math.Log2(i + 2);
            for (int i = 0; i < Math.Min(K, merged.Count); i++) idcgOnce += 1 / Math.Log2(i + 2);
            double dcg = 0, dcgOnce = 0;
            bool any = false;
            var covered = new HashSet<int>();
            var touched = new HashSet<int>();
            double turns = 0;
            for (int i = 0; i < n; i++)
            {
                var x = hits[i];
                turns += x.LastTurn - x.FirstTurn + 1;
                if (x.Document != document) continue;
                int length = x.LastTurn - x.FirstTurn + 1, inside = 0, fresh = 0;
                for (int j = 0; j < merged.Count; j++)
                {
                    int lo = Math.Max(x.FirstTurn, merged[j].First), hi = Math.Min(x.LastTurn, merged[j].Last);
                    if (lo > hi) continue;
                    inside += hi - lo + 1;
                    if (touched.Add(j)) fresh += hi - lo + 1;
                    for (int t = lo; t <= hi; t++) covered.Add(t);
                }
                if (inside > 0) any = true;
                dcg += (double)inside / length / Math.Log2(i + 2);
                dcgOnce += (double)fresh / length / Math.Log2(i + 2);
            }
            double q = dcg / idcg;
            ndcg += q;
            if (q > 1 + 1e-9) aboveOne++;
            once += dcgOnce / idcgOnce;
            hit += any ? 1 : 0;
            recall += (double)covered.Count / gold;
            docHit += n > 0 && hits[0].Document == document ? 1 : 0;
            if (n > 0)
            {
                turnsSum += turns / n;
                turnsQueries++;
            }
        }
        int count = qrels.Count;
        double Mean(double total) => count == 0 ? 0 : Math.Round(total / count, 4);
        return new SpanMetricValues(count, withHits, Mean(ndcg), Mean(once), Mean(hit), Mean(recall), Mean(docHit),
            turnsQueries == 0 ? 0 : Math.Round(turnsSum / turnsQueries, 2), aboveOne);
    }

    private static List<(int First, int Last)> Merge(List<(int First, int Last)> spans)
    {
        var sorted = new List<(int First, int Last)>(spans);
        sorted.Sort();
        var merged = new List<(int First, int Last)>();
        foreach (var (a, b) in sorted)
        {
            if (merged.Count > 0 && a <= merged[^1].Last) merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, b));
            else merged.Add((a, b));
        }
        return merged;
    }
}
