using Search.Segmentation.Analysis;

namespace Search.Ranking.Reranking;

/// <summary>
/// The features of the learned ranker, computed per query over its candidate list. Scores are standardised within
/// the list (z-scores), so a model trained on one collection's score scale applies to another's; the text features
/// are idf-weighted shares of the query's terms, so they are in [0, 1] whatever the collection.
/// </summary>
public static class RankerFeatures
{
    /// <summary>The feature names, in vector order.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "hybrid_z", "hybrid_rank", "bm25_z", "bm25_title_z", "bm25_section_z", "bm25_body_z", "dense_z", "dense_cosine",
        "coverage", "heading_coverage", "proximity", "length", "document_best_z", "document_candidates", "neighbour_z", "feedback_terms_z", "feedback_dense_z",
        .. EncoderEvidence.FeatureNames,
    ];

    // Where the encoders' evidence starts in a row.
    private static readonly int EvidenceStart = Names.Count - EncoderEvidence.FeatureNames.Count;

    // Top candidates that stand for the relevant ones in the feedback features, and the words of their relevance model.
    private const int FeedbackCandidates = 10, FeedbackTerms = 40;

    // Words within which query terms count as near each other.
    private const int ProximityWindow = 12;

    /// <summary>
    /// The feature vectors of <paramref name="candidates"/>, one row each. <paramref name="evidence"/> is what
    /// <see cref="EncoderEvidence.Compute"/> gave for them (standardised here); without it those features are 0.
    /// </summary>
    public static double[][] Compute(RankerQuery query, IReadOnlyList<RankerCandidate> candidates, Analyzer analyzer, double[][]? evidence = null)
    {
        int n = candidates.Count;
        var rows = new double[n][];
        if (n == 0) return rows;
        var hybrid = Standardise(candidates, c => c.Hybrid);
        var bm25 = Standardise(candidates, c => c.Bm25);
        var title = Standardise(candidates, c => c.Bm25Title);
        var section = Standardise(candidates, c => c.Bm25Section);
        var body = Standardise(candidates, c => c.Bm25Body);
        var dense = Standardise(candidates, c => c.Dense);
        double idfTotal = 0;
        foreach (var idf in query.TermIdf.Values) idfTotal += idf;
        var bestOfDocument = new Dictionary<long, (double Best, int Count)>();
        var byKey = new Dictionary<(long, int), double>(n);
        for (int i = 0; i < n; i++)
        {
            var c = candidates[i];
            bestOfDocument[c.DocumentId] = bestOfDocument.TryGetValue(c.DocumentId, out var b) ? (Math.Max(b.Best, hybrid[i]), b.Count + 1) : (hybrid[i], 1);
            byKey[(c.DocumentId, c.Ordinal)] = hybrid[i];
        }
        double lowest = double.PositiveInfinity;
        foreach (double z in hybrid) lowest = Math.Min(lowest, z);
        var texts = new List<string>[n];
        for (int i = 0; i < n; i++)
        {
            texts[i] = [];
            analyzer.Analyze(candidates[i].Text, texts[i]);
        }
        var feedbackTerms = Standardise(FeedbackTermScores(texts));
        var feedbackDense = Standardise(FeedbackDenseScores(candidates));
        var heading = new List<string>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            var c = candidates[i];
            var terms = texts[i];
            present.Clear();
            foreach (var t in terms) if (query.TermIdf.ContainsKey(t)) present.Add(t);
            double coverage = Share(present, query.TermIdf, idfTotal);
            present.Clear();
            heading.Clear();
            analyzer.Analyze(c.Title, heading);
            analyzer.Analyze(c.SectionPath, heading);
            if (c.ChapterTitle is { } chapter) analyzer.Analyze(chapter, heading);
            foreach (var t in heading) if (query.TermIdf.ContainsKey(t)) present.Add(t);
            double headingCoverage = Share(present, query.TermIdf, idfTotal);
            double proximity = Proximity(terms, query.TermIdf, idfTotal);
            var document = bestOfDocument[c.DocumentId];
            double neighbour = Math.Max(byKey.GetValueOrDefault((c.DocumentId, c.Ordinal - 1), lowest), byKey.GetValueOrDefault((c.DocumentId, c.Ordinal + 1), lowest));
            var row = rows[i] = new double[Names.Count];
            ReadOnlySpan<double> own =
            [
                hybrid[i], -Math.Log(c.HybridRank), bm25[i], title[i], section[i], body[i], dense[i], double.IsNaN(c.Dense) ? 0 : c.Dense,
                coverage, headingCoverage, proximity, Math.Log(1 + terms.Count) / Math.Log(400), document.Best, Math.Log(document.Count) / Math.Log(1 + n), neighbour,
                feedbackTerms[i], feedbackDense[i],
            ];
            own.CopyTo(row);
        }
        if (evidence is not null)
        {
            if (evidence.Length != EncoderEvidence.FeatureNames.Count) throw new ArgumentException($"{evidence.Length} evidence rows for {EncoderEvidence.FeatureNames.Count} features", nameof(evidence));
            for (int e = 0; e < evidence.Length; e++)
            {
                var z = Standardise((double[])evidence[e].Clone());
                for (int i = 0; i < n; i++) rows[i][EvidenceStart + e] = z[i];
            }
        }
        return rows;
    }

    /// <summary>
    /// How well each candidate matches a relevance model (Lavrenko and Croft) of the top <see cref="FeedbackCandidates"/>
    /// candidates (they come in hybrid order): the word distribution they share, cut to its <see cref="FeedbackTerms"/> likeliest words, dotted
    /// with the candidate's own. A top candidate is compared with the model of the others, so it does not vote for itself.
    /// </summary>
    private static double[] FeedbackTermScores(List<string>[] texts)
    {
        int n = texts.Length, f = Math.Min(FeedbackCandidates, n);
        var scores = new double[n];
        if (f < 2) return scores;
        // Each feedback candidate's word distribution, and their sum.
        var distributions = new Dictionary<string, double>[f];
        var model = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int d = 0; d < f; d++)
        {
            distributions[d] = Distribution(texts[d]);
            foreach (var (t, p) in distributions[d]) model[t] = model.GetValueOrDefault(t) + p;
        }
        var top = new List<KeyValuePair<string, double>>(model);
        top.Sort((a, b) => b.Value != a.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        if (top.Count > FeedbackTerms) top.RemoveRange(FeedbackTerms, top.Count - FeedbackTerms);
        var rankOfCandidate = new int[n];
        Array.Fill(rankOfCandidate, -1);
        for (int d = 0; d < f; d++) rankOfCandidate[d] = d;
        for (int i = 0; i < n; i++)
        {
            var own = Distribution(texts[i]);
            var self = rankOfCandidate[i] >= 0 ? distributions[rankOfCandidate[i]] : null;
            double dot = 0, norm = 0;
            foreach (var (t, p) in top)
            {
                double weight = self is null ? p / f : (p - self.GetValueOrDefault(t)) / (f - 1);
                norm += weight;
                dot += weight * own.GetValueOrDefault(t);
            }
            scores[i] = norm > 0 ? dot / norm : 0;
        }
        return scores;
    }

    private static Dictionary<string, double> Distribution(List<string> terms)
    {
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var t in terms) counts[t] = counts.GetValueOrDefault(t) + 1;
        if (terms.Count > 0)
            foreach (var t in counts.Keys) counts[t] /= terms.Count;
        return counts;
    }

    /// <summary>The cosine of each candidate's vector with the mean vector of the top <see cref="FeedbackCandidates"/> (itself left out).</summary>
    private static double[] FeedbackDenseScores(IReadOnlyList<RankerCandidate> candidates)
    {
        int n = candidates.Count, f = Math.Min(FeedbackCandidates, n);
        var scores = new double[n];
        if (f < 2 || candidates[0].Vector.Length == 0) return scores;
        int d = candidates[0].Vector.Length;
        var sum = new float[d];
        for (int i = 0; i < f; i++)
            if (candidates[i].Vector.Length == d) System.Numerics.Tensors.TensorPrimitives.Add(sum, candidates[i].Vector, sum);
        var centroid = new float[d];
        for (int i = 0; i < n; i++)
        {
            var v = candidates[i].Vector;
            if (v.Length != d) continue;
            if (i < f) System.Numerics.Tensors.TensorPrimitives.Subtract(sum, v, centroid);
            else sum.CopyTo(centroid, 0);
            scores[i] = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(centroid, v);
        }
        return scores;
    }

    /// <summary>The idf-weighted share of the query's terms in <paramref name="found"/>.</summary>
    private static double Share(HashSet<string> found, IReadOnlyDictionary<string, double> idf, double total)
    {
        if (total <= 0) return 0;
        double sum = 0;
        foreach (var t in found) sum += idf[t];
        return sum / total;
    }

    /// <summary>The largest idf-weighted share of the query's terms that occurs within one window of <see cref="ProximityWindow"/> words.</summary>
    private static double Proximity(List<string> terms, IReadOnlyDictionary<string, double> idf, double total)
    {
        if (total <= 0 || terms.Count == 0) return 0;
        var inWindow = new Dictionary<string, int>(StringComparer.Ordinal);
        double sum = 0, best = 0;
        for (int i = 0; i < terms.Count; i++)
        {
            if (idf.TryGetValue(terms[i], out double w))
            {
                int count = inWindow.GetValueOrDefault(terms[i]);
                if (count == 0) sum += w;
                inWindow[terms[i]] = count + 1;
            }
            int leaving = i - ProximityWindow;
            if (leaving >= 0 && idf.TryGetValue(terms[leaving], out double lw))
            {
                int count = inWindow[terms[leaving]] - 1;
                inWindow[terms[leaving]] = count;
                if (count == 0) sum -= lw;
            }
            best = Math.Max(best, sum);
        }
        return best / total;
    }

    /// <summary>z-scores of <paramref name="values"/>, in place (all 0 when they do not vary).</summary>
    private static double[] Standardise(double[] values)
    {
        int n = values.Length;
        if (n == 0) return values;
        double mean = 0;
        foreach (double v in values) mean += v;
        mean /= n;
        double var = 0;
        foreach (double v in values) var += (v - mean) * (v - mean);
        double sd = Math.Sqrt(var / n);
        for (int i = 0; i < n; i++) values[i] = sd > 1e-12 ? (values[i] - mean) / sd : 0;
        return values;
    }

    /// <summary>z-scores of a value over the list; a missing (NaN) value takes the list's lowest.</summary>
    private static double[] Standardise(IReadOnlyList<RankerCandidate> candidates, Func<RankerCandidate, double> value)
    {
        int n = candidates.Count;
        var z = new double[n];
        double min = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            z[i] = value(candidates[i]);
            if (!double.IsNaN(z[i])) min = Math.Min(min, z[i]);
        }
        if (double.IsPositiveInfinity(min)) return new double[n];
        for (int i = 0; i < n; i++)
            if (double.IsNaN(z[i])) z[i] = min;
        return Standardise(z);
    }
}
