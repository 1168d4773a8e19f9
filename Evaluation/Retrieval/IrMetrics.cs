namespace Search.Evaluation.Retrieval;

/// <summary>Aggregate retrieval metrics over judged queries, defined as trec_eval defines them.</summary>
public sealed record IrMetricValues(double Ndcg10, double Map, double Recall100, double Precision10, double Mrr10, int Queries);

/// <summary>
/// Retrieval metrics computed exactly as <c>shared/scorers/ir_metrics.py</c>: judged queries only
/// (those with a positive grade), nDCG@10 with gain = grade and a log2 discount, MAP over the top
/// 1000, recall@100, P@10, MRR@10; a ranking is sorted by score descending, ties by document id.
/// </summary>
public static class IrMetrics
{
    /// <summary>Computes the metrics, rounded to 4 places like the reference scorer.</summary>
    /// <param name="qrels">Grades by query then document.</param>
    /// <param name="ranking">Each query's documents, best first (already tie-broken).</param>
    public static IrMetricValues Evaluate(IReadOnlyDictionary<string, Dictionary<string, int>> qrels, IReadOnlyDictionary<string, IReadOnlyList<string>> ranking)
    {
        double ndcg = 0, map = 0, recall = 0, p10 = 0, mrr = 0;
        int n = 0;
        foreach (var (qid, rels) in qrels)
        {
            int relevant = 0;
            var grades = new List<int>();
            foreach (var g in rels.Values)
            {
                if (g <= 0) continue;
                relevant++;
                grades.Add(g);
            }
            if (relevant == 0) continue;
            n++;
            IReadOnlyList<string> docs = ranking.TryGetValue(qid, out var r) ? r : [];
            double dcg = 0;
            for (int i = 0; i < Math.Min(10, docs.Count); i++)
                if (rels.TryGetValue(docs[i], out int g) && g > 0) dcg += g / Math.Log2(i + 2);
            grades.Sort((a, b) => b.CompareTo(a));
            double idcg = 0;
            for (int i = 0; i < Math.Min(10, grades.Count); i++) idcg += grades[i] / Math.Log2(i + 2);
            ndcg += idcg > 0 ? dcg / idcg : 0;

            int hits = 0;
            double ap = 0;
            for (int i = 0; i < Math.Min(1000, docs.Count); i++)
            {
                if (!IsRelevant(rels, docs[i])) continue;
                hits++;
                ap += (double)hits / (i + 1);
            }
            map += ap / relevant;
            int inTop100 = 0, inTop10 = 0;
            double rr = 0;
            for (int i = 0; i < Math.Min(100, docs.Count); i++)
            {
                if (!IsRelevant(rels, docs[i])) continue;
                inTop100++;
                if (i < 10)
                {
                    inTop10++;
                    if (rr == 0) rr = 1.0 / (i + 1);
                }
            }
            recall += (double)inTop100 / relevant;
            p10 += inTop10 / 10.0;
            mrr += rr;
        }
        if (n == 0) return new IrMetricValues(0, 0, 0, 0, 0, 0);
        return new IrMetricValues(Round(ndcg / n), Round(map / n), Round(recall / n), Round(p10 / n), Round(mrr / n), n);
    }

    private static bool IsRelevant(Dictionary<string, int> rels, string doc) => rels.TryGetValue(doc, out int g) && g > 0;

    // Python's round() rounds half to even, as Math.Round does by default.
    private static double Round(double v) => Math.Round(v, 4);
}
