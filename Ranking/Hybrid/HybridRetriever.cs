using Search.Indexing.Dense;
using Search.Indexing.Embeddings;

namespace Search.Ranking.Hybrid;

/// <summary>
/// Settings of dense and hybrid retrieval, chosen for the packaged encoders (all-MiniLM-L6-v2 by default) by
/// replaying fusion offline over `--dump` candidate lists of cranfield, cisi, med and the meeting transcripts
/// (tools/fusion_tune.py, scored by the shared scorers), leave-one-collection-out: on each held-out set the
/// setting chosen on the other three was dense weight 0.6, full agreement 0.2, smoothing 0.3, plain vectors and
/// no feedback in hybrid, giving nDCG@10 0.4387 / 0.4580 / 0.8064 on cranfield / cisi / med (BM25 0.3847 /
/// 0.3913 / 0.6832) and 0.2776 on the transcripts (BM25 0.2604). Feedback helps a dense list alone (+0.04–0.07
/// on cranfield and the transcripts) but not hybrid, which already holds the lexical evidence; situated vectors
/// lose 1–2 points in hybrid with these encoders. The agreement gate is kept low: a real encoder rarely
/// disagrees with BM25, but an embedder that knows nothing (random weights, an LSA of a tiny collection) still
/// gets no weight.
/// </summary>
/// <param name="Depth">Candidates taken from each side before fusion.</param>
/// <param name="DenseWeight">Weight of the dense z-score in the convex combination when the two sides agree fully.</param>
/// <param name="FullAgreement">Correlation of lexical and dense scores over the lexical top <paramref name="AgreementDepth"/> at which the full weight applies; below it the weight shrinks in proportion, to 0 at no correlation.</param>
/// <param name="AgreementDepth">Lexical candidates over which agreement is measured.</param>
/// <param name="FeedbackDocuments">Top lexical segments whose mean vector is added to the query vector of the dense and situated modes (pseudo-relevance feedback in the latent space); 0 turns it off. Hybrid uses the query's own embedding.</param>
/// <param name="FeedbackWeight">Weight of that mean vector against the query's own.</param>
/// <param name="SmoothingDepth">Fused candidates whose scores are smoothed over their nearest neighbours among them (<see cref="NeighbourSmoothing"/>).</param>
/// <param name="SmoothingNeighbours">Neighbours each of them is smoothed over.</param>
/// <param name="SmoothingWeight">Weight of the neighbours' mean score when the two sides agree fully; it is gated like the dense weight, since the neighbours are found by the same embedder.</param>
public sealed record HybridOptions(int Depth = 1000, double DenseWeight = 0.6, double FullAgreement = 0.2, int AgreementDepth = 100,
    int FeedbackDocuments = 10, float FeedbackWeight = 0.5f, int SmoothingDepth = 100, int SmoothingNeighbours = 5, double SmoothingWeight = 0.3);

/// <summary>Fused candidates and the dense weight this query's fusion used.</summary>
public sealed record HybridResult(List<FusedHit> Hits, double DenseWeight);

/// <summary>
/// Dense and hybrid retrieval over one collection: the query is embedded by the collection's embedder,
/// moved toward the centroid of the best lexical candidates (the latent-space analogue of Rocchio
/// feedback, using only what the query itself retrieves), searched in the plain or situated vectors,
/// and for hybrid fused with the lexical list by a convex combination of z-scores, whose top is then
/// smoothed over each candidate's nearest neighbours.
/// </summary>
public static class HybridRetriever
{
    /// <summary>The query vector: its own embedding plus the centroid of the top <paramref name="feedbackDocuments"/> lexical candidates' vectors, unit length.</summary>
    public static float[] QueryVector(DenseCollectionIndex dense, string query, IReadOnlyList<(long DocumentId, int Ordinal, double Score)> lexical, bool situated, int feedbackDocuments, HybridOptions options)
    {
        int d = dense.Embedder.Dimension;
        var q = dense.Embedder.EmbedQuery(query);
        if (feedbackDocuments <= 0 || lexical.Count == 0) return q;
        var centroid = new float[d];
        int used = 0;
        for (int i = 0; i < lexical.Count && used < feedbackDocuments; i++)
        {
            var v = dense.Vector(lexical[i].DocumentId, lexical[i].Ordinal, situated);
            if (v.IsEmpty) continue;
            System.Numerics.Tensors.TensorPrimitives.Add(centroid, v, centroid);
            used++;
        }
        if (used == 0) return q;
        EmbeddingVectors.Normalize(centroid);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(centroid, options.FeedbackWeight, q, q);
        EmbeddingVectors.Normalize(q);
        return q;
    }

    /// <summary>Dense candidates for a query vector.</summary>
    public static List<(long DocumentId, int Ordinal, double Score)> Dense(DenseCollectionIndex dense, float[] queryVector, int k, bool situated) =>
        dense.Search(queryVector, k, situated);

    /// <summary>Lexical and dense candidates fused, the dense side weighted by its agreement with the lexical one, the top smoothed over neighbours.</summary>
    public static HybridResult Hybrid(DenseCollectionIndex dense, float[] queryVector, IReadOnlyList<(long DocumentId, int Ordinal, double Score)> lexical, bool situated, HybridOptions options)
    {
        var denseHits = dense.Search(queryVector, options.Depth, situated);
        double DenseScoreOf(long doc, int ordinal)
        {
            var v = dense.Vector(doc, ordinal, situated);
            return v.IsEmpty ? double.NaN : System.Numerics.Tensors.TensorPrimitives.Dot(v, queryVector);
        }
        double weight = DenseWeight(lexical, DenseScoreOf, options);
        var fused = HybridFusion.Convex(lexical, denseHits, weight, DenseScoreOf);
        double smoothing = options.DenseWeight > 0 ? options.SmoothingWeight * weight / options.DenseWeight : 0;
        NeighbourSmoothing.Apply(fused, options.SmoothingDepth, options.SmoothingNeighbours, smoothing, h => dense.Vector(h.DocumentId, h.Ordinal, situated));
        return new HybridResult(fused, weight);
    }

    /// <summary>
    /// The dense weight for one query: <see cref="HybridOptions.DenseWeight"/> scaled by the Pearson correlation
    /// of BM25 and dense scores over the best lexical candidates, relative to <see cref="HybridOptions.FullAgreement"/>.
    /// Two rankers that both track relevance correlate; when the dense side ignores what the lexical side
    /// finds (an embedder that does not know this collection's language, a query about names and numbers),
    /// its scores are mostly noise and fusing them at full weight only demotes good lexical hits. With too
    /// few lexical candidates to measure (or no spread in them) the full weight applies: the dense side is
    /// then all the evidence there is.
    /// </summary>
    public static double DenseWeight(IReadOnlyList<(long DocumentId, int Ordinal, double Score)> lexical, Func<long, int, double> denseScoreOf, HybridOptions options)
    {
        int n = Math.Min(lexical.Count, options.AgreementDepth);
        if (n < 3 || options.FullAgreement <= 0) return options.DenseWeight;
        double sl = 0, sd = 0, sll = 0, sdd = 0, sld = 0;
        int used = 0;
        for (int i = 0; i < n; i++)
        {
            double l = lexical[i].Score, d = denseScoreOf(lexical[i].DocumentId, lexical[i].Ordinal);
            if (double.IsNaN(d)) continue;
            sl += l; sd += d; sll += l * l; sdd += d * d; sld += l * d;
            used++;
        }
        if (used < 3) return options.DenseWeight;
        double cl = sll - sl * sl / used, cd = sdd - sd * sd / used, cld = sld - sl * sd / used;
        if (cl <= 1e-12 || cd <= 1e-12) return options.DenseWeight;
        double correlation = cld / Math.Sqrt(cl * cd);
        return options.DenseWeight * Math.Clamp(correlation / options.FullAgreement, 0, 1);
    }
}
