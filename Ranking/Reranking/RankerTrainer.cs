namespace Search.Ranking.Reranking;

/// <summary>A judged query's candidates: their feature vectors, graded labels (0 = not relevant) and documents.</summary>
public sealed record RankerTrainingQuery(string Collection, string QueryId, double[][] Features, double[] Labels, IReadOnlyList<string> Documents);

/// <summary>
/// Learns a <see cref="LinearRankerModel"/> by minimising the pairwise logistic loss (RankNet with a linear scorer)
/// over every (more relevant, less relevant) candidate pair of each query, with L2 regularisation. Each collection
/// weighs the same in the loss and, inside it, each query the same, so a collection with many queries does not set
/// the model alone. Full-batch Adam from zero weights: the result depends only on the data. The L2 weight (0.03) was
/// chosen leave-one-collection-out over cranfield, cisi, med and the meeting transcripts: from 0.01 to 0.05 each held-out
/// development set gains about the same, below it the transcripts' model overfits the BEIR sets, above it med loses.
/// </summary>
public static class RankerTrainer
{
    /// <summary>Trains over <paramref name="queries"/>; queries with no pair (all relevant or none) teach nothing and are skipped.</summary>
    public static LinearRankerModel Train(IReadOnlyList<RankerTrainingQuery> queries, int depth, double l2 = 0.03, int iterations = 400)
    {
        int f = RankerFeatures.Names.Count;
        var mean = new double[f];
        var scale = new double[f];
        long rows = 0;
        foreach (var q in queries)
            foreach (var x in q.Features)
            {
                for (int j = 0; j < f; j++) mean[j] += x[j];
                rows++;
            }
        for (int j = 0; j < f; j++) mean[j] /= Math.Max(1, rows);
        foreach (var q in queries)
            foreach (var x in q.Features)
                for (int j = 0; j < f; j++) scale[j] += (x[j] - mean[j]) * (x[j] - mean[j]);
        for (int j = 0; j < f; j++) scale[j] = rows > 1 && scale[j] > 1e-12 ? Math.Sqrt(scale[j] / rows) : 1;

        // Standardised rows and the pairs of each useful query, with its weight.
        var perCollection = new Dictionary<string, int>(StringComparer.Ordinal);
        var useful = new List<(double[][] X, List<(int Better, int Worse)> Pairs)>();
        var collections = new List<string>();
        foreach (var q in queries)
        {
            var pairs = new List<(int, int)>();
            for (int a = 0; a < q.Labels.Length; a++)
                for (int b = 0; b < q.Labels.Length; b++)
                    if (q.Labels[a] > q.Labels[b]) pairs.Add((a, b));
            if (pairs.Count == 0) continue;
            var x = new double[q.Features.Length][];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = new double[f];
                for (int j = 0; j < f; j++) x[i][j] = LinearRankerModel.Standardise(q.Features[i][j], mean[j], scale[j]);
            }
            useful.Add((x, pairs));
            collections.Add(q.Collection);
            perCollection[q.Collection] = perCollection.GetValueOrDefault(q.Collection) + 1;
        }
        if (useful.Count == 0) throw new ArgumentException("no judged query has both a relevant and a non-relevant candidate to learn from");
        var weightOf = new double[useful.Count];
        for (int i = 0; i < useful.Count; i++) weightOf[i] = 1.0 / (perCollection.Count * perCollection[collections[i]] * useful[i].Pairs.Count);

        var w = new double[f];
        var m = new double[f];
        var v = new double[f];
        var gradient = new double[f];
        const double rate = 0.05, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        long pairCount = 0;
        foreach (var u in useful) pairCount += u.Pairs.Count;
        double[] scores = [];
        for (int step = 1; step <= iterations; step++)
        {
            for (int j = 0; j < f; j++) gradient[j] = l2 * w[j];
            for (int qi = 0; qi < useful.Count; qi++)
            {
                var (x, pairs) = useful[qi];
                if (scores.Length < x.Length) scores = new double[x.Length];
                for (int i = 0; i < x.Length; i++)
                {
                    double s = 0;
                    for (int j = 0; j < f; j++) s += w[j] * x[i][j];
                    scores[i] = s;
                }
                foreach (var (better, worse) in pairs)
                {
                    // d/ds of log(1 + exp(-(s_better - s_worse))) = -sigmoid(-(difference)).
                    double g = -weightOf[qi] / (1 + Math.Exp(scores[better] - scores[worse]));
                    for (int j = 0; j < f; j++) gradient[j] += g * (x[better][j] - x[worse][j]);
                }
            }
            for (int j = 0; j < f; j++)
            {
                m[j] = beta1 * m[j] + (1 - beta1) * gradient[j];
                v[j] = beta2 * v[j] + (1 - beta2) * gradient[j] * gradient[j];
                double mh = m[j] / (1 - Math.Pow(beta1, step)), vh = v[j] / (1 - Math.Pow(beta2, step));
                w[j] -= rate * mh / (Math.Sqrt(vh) + epsilon);
            }
        }
        var trainedOn = new List<string>(perCollection.Keys);
        trainedOn.Sort(StringComparer.Ordinal);
        return new LinearRankerModel(LinearRankerModel.LinearKind, depth, RankerFeatures.Names, mean, scale, w, trainedOn, useful.Count, pairCount);
    }
}
