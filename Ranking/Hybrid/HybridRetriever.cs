using Search.Indexing.Dense;
using Search.Indexing.Embeddings;

namespace Search.Ranking.Hybrid;

/// <summary>
/// Settings of hybrid retrieval. The dense weight is gated per query by how far the two sides agree
/// (see <see cref="HybridRetriever.DenseWeight"/>): on the meeting transcripts the collection's own
/// embedder agrees with BM25 about half as much as on cranfield, cisi and med, and a fixed weight that
/// gains there loses to BM25 on the transcripts; with an embedder that knows nothing (random weights) the
/// gate keeps hybrid within a point of BM25 where a fixed weight loses 3–12. Dense weight 0.7, full weight
/// from agreement 0.7 and smoothing weight 0.2 were chosen on cranfield, cisi, med and the transcripts
/// together, over weights 0.5–0.8, agreement points 0.6–0.8 (or none) and smoothing 0–0.3: the best average
/// gain among the settings that gain 2 points or more on each classic set and more than 0.1 on the
/// transcripts (0.8/0.8/0.3 averages 0.08 more but only ties BM25 on the transcripts). Leave-one-collection-out
/// numbers are in the closing note of the dense-index issue.
/// </summary>
/// <param name="Depth">Candidates taken from each side before fusion.</param>
/// <param name="DenseWeight">Weight of the dense z-score in the convex combination when the two sides agree fully.</param>
/// <param name="FullAgreement">Correlation of lexical and dense scores over the lexical top <paramref name="AgreementDepth"/> at which the full weight applies; below it the weight shrinks in proportion, to 0 at no correlation.</param>
/// <param name="AgreementDepth">Lexical candidates over which agreement is measured.</param>
/// <param name="FeedbackDocuments">Top lexical segments whose mean vector is added to the query vector (pseudo-relevance feedback in the latent space); 0 turns it off.</param>
/// <param name="FeedbackWeight">Weight of that mean vector against the query's own.</param>
/// <param name="SmoothingDepth">Fused candidates whose scores are smoothed over their nearest neighbours among them (<see cref="NeighbourSmoothing"/>).</param>
/// <param name="SmoothingNeighbours">Neighbours each of them is smoothed over.</param>
/// <param name="SmoothingWeight">Weight of the neighbours' mean score when the two sides agree fully; it is gated like the dense weight, since the neighbours are found by the same embedder.</param>
public sealed record HybridOptions(int Depth = 1000, double DenseWeight = 0.7, double FullAgreement = 0.7, int AgreementDepth = 100,
    int FeedbackDocuments = 10, float FeedbackWeight = 0.5f, int SmoothingDepth = 100, int SmoothingNeighbours = 5, double SmoothingWeight = 0.2);

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
    /// <summary>The query vector: its own embedding plus the feedback centroid, unit length.</summary>
    public static float[] QueryVector(DenseCollectionIndex dense, string query, IReadOnlyList<(long DocumentId, int Ordinal, double Score)> lexical, bool situated, HybridOptions options)
    {
        int d = dense.Embedder.Dimension;
        var q = dense.Embedder.EmbedQuery(query);
        if (options.FeedbackDocuments <= 0 || lexical.Count == 0) return q;
        var centroid = new float[d];
        int used = 0;
        for (int i = 0; i < lexical.Count && used < options.FeedbackDocuments; i++)
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
