namespace Search.GpuAttention.Tests;

/// <summary>Plain-loop attention in double precision under an explicit token mask: the oracle for every kernel.</summary>
internal static class ReferenceAttention
{
    /// <summary>Output [heads][queryTokens][d] and per-head masses [heads][queryTokens][blocks] (blocks from <paramref name="blockOf"/>).</summary>
    public static (double[] Output, double[] Masses) Compute(float[] query, int heads, int queryTokens, int queryStart, float[] keys, float[] values, int kvHeads, int keyTokens, int d,
        Func<int, int, bool> allows, Func<int, int>? blockOf = null, int blocks = 1, double? scale = null)
    {
        double s = scale ?? 1.0 / Math.Sqrt(d);
        var output = new double[heads * queryTokens * d];
        var masses = new double[heads * queryTokens * blocks];
        var scores = new double[keyTokens];
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++)
        {
            int kh = h / group;
            for (int i = 0; i < queryTokens; i++)
            {
                int position = queryStart + i;
                double max = double.NegativeInfinity;
                for (int j = 0; j < keyTokens; j++)
                {
                    if (!allows(position, j)) { scores[j] = double.NegativeInfinity; continue; }
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double)query[(h * queryTokens + i) * d + c] * keys[(kh * keyTokens + j) * d + c];
                    scores[j] = dot * s;
                    max = Math.Max(max, scores[j]);
                }
                if (double.IsNegativeInfinity(max)) continue;
                double sum = 0;
                for (int j = 0; j < keyTokens; j++) sum += scores[j] = double.IsNegativeInfinity(scores[j]) ? 0 : Math.Exp(scores[j] - max);
                for (int j = 0; j < keyTokens; j++)
                {
                    double p = scores[j] / sum;
                    if (p == 0) continue;
                    for (int c = 0; c < d; c++) output[(h * queryTokens + i) * d + c] += p * values[(kh * keyTokens + j) * d + c];
                    if (blockOf is not null) masses[(h * queryTokens + i) * blocks + blockOf(j)] += p;
                }
            }
        }
        return (output, masses);
    }
}
