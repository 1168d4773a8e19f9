namespace Search.Ranking.Hybrid;

/// <summary>A fused candidate with the scores and ranks it had in each list (rank 0 and NaN score where absent).</summary>
public sealed record FusedHit(long DocumentId, int Ordinal, double Score, double LexicalScore, int LexicalRank, double DenseScore, int DenseRank);

/// <summary>
/// Fusion of a lexical and a dense candidate list: a convex combination of z-scored scores (each list
/// normalised by its own mean and deviation; Bruch et al. found convex combination better than rank
/// fusion and cheap to tune) or reciprocal rank fusion. A candidate missing from one list takes that
/// list's lowest score there.
/// </summary>
public static class HybridFusion
{
    /// <summary>
    /// Convex combination: (1 − w)·z(lexical) + w·z(dense), each z over its own list. <paramref name="denseScoreOf"/>
    /// gives the exact dense score of a lexical candidate the dense list missed (a vector lookup is cheap).
    /// </summary>
    public static List<FusedHit> Convex(IReadOnlyList<(long DocumentId, int Ordinal, double Score)> lexical, IReadOnlyList<(long DocumentId, int Ordinal, double Score)> dense, double denseWeight,
        Func<long, int, double>? denseScoreOf = null)
    {
        var (lm, ls, lmin) = Moments(lexical);
        var (dm, ds, dmin) = Moments(dense);
        var fused = Fuse(lexical, dense, (l, d) => (1 - denseWeight) * ((double.IsNaN(l) ? lmin : l) - lm) / ls + denseWeight * ((double.IsNaN(d) ? dmin : d) - dm) / ds, denseScoreOf: denseScoreOf);
        return fused;
    }

    /// <summary>Reciprocal rank fusion: Σ 1 / (k + rank) over the lists a candidate is in.</summary>
    public static List<FusedHit> ReciprocalRank(IReadOnlyList<(long DocumentId, int Ordinal, double Score)> lexical, IReadOnlyList<(long DocumentId, int Ordinal, double Score)> dense, int k = 60) =>
        Fuse(lexical, dense, null, k);

    private static List<FusedHit> Fuse(IReadOnlyList<(long DocumentId, int Ordinal, double Score)> lexical, IReadOnlyList<(long DocumentId, int Ordinal, double Score)> dense, Func<double, double, double>? convex, int rrfK = 60,
        Func<long, int, double>? denseScoreOf = null)
    {
        var parts = new Dictionary<(long, int), (double L, int LR, double D, int DR)>();
        for (int i = 0; i < lexical.Count; i++) parts[(lexical[i].DocumentId, lexical[i].Ordinal)] = (lexical[i].Score, i + 1, double.NaN, 0);
        for (int i = 0; i < dense.Count; i++)
        {
            var key = (dense[i].DocumentId, dense[i].Ordinal);
            var p = parts.TryGetValue(key, out var existing) ? existing : (double.NaN, 0, double.NaN, 0);
            parts[key] = (p.Item1, p.Item2, dense[i].Score, i + 1);
        }
        var fused = new List<FusedHit>(parts.Count);
        foreach (var ((doc, ordinal), part) in parts)
        {
            var p = part;
            if (double.IsNaN(p.D) && denseScoreOf is not null) p.D = denseScoreOf(doc, ordinal);
            double score = convex is not null
                ? convex(p.L, p.D)
                : (p.LR > 0 ? 1.0 / (rrfK + p.LR) : 0) + (p.DR > 0 ? 1.0 / (rrfK + p.DR) : 0);
            fused.Add(new FusedHit(doc, ordinal, score, p.L, p.LR, p.D, p.DR));
        }
        // Ties (equal fused scores) fall back to the lexical rank, then the key, so results are reproducible.
        fused.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score)
            : a.DocumentId != b.DocumentId ? a.DocumentId.CompareTo(b.DocumentId) : a.Ordinal.CompareTo(b.Ordinal));
        return fused;
    }

    private static (double Mean, double Deviation, double Min) Moments(IReadOnlyList<(long, int, double Score)> list)
    {
        if (list.Count == 0) return (0, 1, 0);
        double sum = 0, min = double.PositiveInfinity;
        foreach (var h in list)
        {
            sum += h.Score;
            min = Math.Min(min, h.Score);
        }
        double mean = sum / list.Count, var = 0;
        foreach (var h in list) var += (h.Score - mean) * (h.Score - mean);
        double deviation = Math.Sqrt(var / list.Count);
        return (mean, deviation > 1e-12 ? deviation : 1, min);
    }
}
