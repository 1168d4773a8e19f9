using System.Buffers;
using System.Numerics.Tensors;

namespace Search.Ranking.Hybrid;

/// <summary>
/// Cluster-hypothesis smoothing of a fused ranking (after Diaz, "Regularizing ad hoc retrieval scores"):
/// passages close to each other tend to be relevant together, so each of the top candidates' scores moves
/// toward the similarity-weighted mean score of its nearest neighbours among them. A relevant passage that
/// one side ranked low rises with its well-ranked neighbours; an isolated false match sinks.
/// </summary>
public static class NeighbourSmoothing
{
    /// <summary>
    /// Re-scores the first <paramref name="depth"/> hits of <paramref name="ranked"/> (best first) in place and
    /// re-sorts them: with scores min–max scaled over those hits to x, each becomes (1 − w)·x + w·(mean of x over
    /// its <paramref name="neighbours"/> most similar hits, weighted by their positive cosine), mapped back to the
    /// block's score range so the block still ranks above the rest. A hit without a vector, or without a
    /// positively similar neighbour, keeps its score.
    /// </summary>
    /// <param name="vectorOf">The unit vector of a hit, empty when it has none.</param>
    public static void Apply(List<FusedHit> ranked, int depth, int neighbours, double weight, Func<FusedHit, ReadOnlySpan<float>> vectorOf)
    {
        int n = Math.Min(depth, ranked.Count);
        if (n < 2 || neighbours < 1 || weight <= 0) return;
        double max = ranked[0].Score, min = ranked[0].Score;
        for (int i = 1; i < n; i++)
        {
            max = Math.Max(max, ranked[i].Score);
            min = Math.Min(min, ranked[i].Score);
        }
        if (max - min <= 1e-12) return;
        var scaled = ArrayPool<double>.Shared.Rent(n);
        var similarity = ArrayPool<float>.Shared.Rent(n * n);
        var nearest = ArrayPool<int>.Shared.Rent(neighbours);
        float[]? rows = null;
        bool[]? present = null;
        try
        {
            for (int i = 0; i < n; i++) scaled[i] = (ranked[i].Score - min) / (max - min);
            // Each vector is looked up once, into rows of one buffer; a hit without one (or of another length) has an empty row.
            int d = 0;
            for (int i = 0; i < n && d == 0; i++) d = vectorOf(ranked[i]).Length;
            rows = ArrayPool<float>.Shared.Rent(n * d);
            present = ArrayPool<bool>.Shared.Rent(n);
            for (int i = 0; i < n; i++)
            {
                var v = vectorOf(ranked[i]);
                present[i] = d > 0 && v.Length == d;
                if (present[i]) v.CopyTo(rows.AsSpan(i * d, d));
            }
            for (int i = 0; i < n; i++)
            {
                var vi = rows.AsSpan(i * d, d);
                for (int j = i + 1; j < n; j++)
                {
                    float s = present[i] && present[j] ? TensorPrimitives.Dot(vi, rows.AsSpan(j * d, d)) : 0;
                    similarity[i * n + j] = similarity[j * n + i] = s;
                }
            }
            var smoothed = new FusedHit[n];
            for (int i = 0; i < n; i++)
            {
                int found = Nearest(similarity.AsSpan(i * n, n), i, nearest.AsSpan(0, Math.Min(neighbours, n - 1)));
                double sum = 0, mass = 0;
                for (int m = 0; m < found; m++)
                {
                    float s = similarity[i * n + nearest[m]];
                    sum += s * scaled[nearest[m]];
                    mass += s;
                }
                double x = mass > 0 ? (1 - weight) * scaled[i] + weight * sum / mass : scaled[i];
                smoothed[i] = ranked[i] with { Score = min + x * (max - min) };
            }
            // Ties keep the fused order, so the result is reproducible.
            var order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Array.Sort(order, (a, b) => smoothed[a].Score != smoothed[b].Score ? smoothed[b].Score.CompareTo(smoothed[a].Score) : a.CompareTo(b));
            for (int i = 0; i < n; i++) ranked[i] = smoothed[order[i]];
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scaled);
            ArrayPool<float>.Shared.Return(similarity);
            ArrayPool<int>.Shared.Return(nearest);
            if (rows is not null) ArrayPool<float>.Shared.Return(rows);
            if (present is not null) ArrayPool<bool>.Shared.Return(present);
        }
    }

    // The indices of the most similar others with positive similarity, most similar first; returns how many.
    private static int Nearest(ReadOnlySpan<float> row, int self, Span<int> nearest)
    {
        int found = 0;
        for (int j = 0; j < row.Length; j++)
        {
            if (j == self || row[j] <= 0) continue;
            if (found == nearest.Length && row[j] <= row[nearest[found - 1]]) continue;
            int at = found < nearest.Length ? found++ : found - 1;
            while (at > 0 && row[nearest[at - 1]] < row[j])
            {
                nearest[at] = nearest[at - 1];
                at--;
            }
            nearest[at] = j;
        }
        return found;
    }
}
