namespace Search.Evaluation.Segmentation;

/// <summary>Pk and WindowDiff for one document.</summary>
public readonly record struct SegmentationScore(double Pk, double WindowDiff, int Probes);

/// <summary>
/// Pk (Beeferman et al. 1999) and WindowDiff (Pevzner and Hearst 2002), computed exactly as
/// <c>shared/scorers/seg_metrics.py</c>: k is half the mean gold segment length (rounded half to even,
/// at least 1), per document.
/// </summary>
public static class SegmentationMetrics
{
    /// <summary>Scores predicted boundaries (indices of units that start a segment) against gold ones.</summary>
    public static SegmentationScore Score(int units, IReadOnlyCollection<int> gold, IReadOnlyCollection<int> predicted)
    {
        var g = Labels(units, gold);
        var p = Labels(units, predicted);
        int segments = units == 0 ? 1 : g[^1] + 1;
        int k = Math.Max(1, (int)Math.Round((double)units / segments / 2, MidpointRounding.ToEven));
        if (units <= k) return new SegmentationScore(0, 0, 0);
        int pk = 0, wd = 0;
        for (int i = 0; i < units - k; i++)
        {
            if ((g[i] == g[i + k]) != (p[i] == p[i + k])) pk++;
            if (g[i + k] - g[i] != p[i + k] - p[i]) wd++;
        }
        return new SegmentationScore((double)pk / (units - k), (double)wd / (units - k), units - k);
    }

    private static int[] Labels(int units, IReadOnlyCollection<int> boundaries)
    {
        var starts = new HashSet<int>(boundaries);
        var labels = new int[units];
        int segment = 0;
        for (int i = 0; i < units; i++)
        {
            if (i != 0 && starts.Contains(i)) segment++;
            labels[i] = segment;
        }
        return labels;
    }
}
