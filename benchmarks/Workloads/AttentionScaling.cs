using System.Diagnostics;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// How block-sparse (b) and cached-query (c) times grow with the number of document blocks; all sizes are built
/// first and timed in interleaved rounds, so a change in load from other processes hits every size alike.
/// </summary>
public static class AttentionScaling
{
    /// <summary>Median (b) and (c) times in ms per document count.</summary>
    public static IReadOnlyList<(int Documents, double SparseMs, double CachedMs)> Run(IReadOnlyList<int> documents, int rounds = 5, TextWriter? log = null)
    {
        var workloads = new BlockRankWorkload[documents.Count];
        for (int i = 0; i < documents.Count; i++)
        {
            workloads[i] = new BlockRankWorkload(documents[i]);
            workloads[i].BlockSparse(); // warm-up
            workloads[i].CachedQuery();
        }
        var sparse = new double[documents.Count][];
        var cached = new double[documents.Count][];
        for (int i = 0; i < documents.Count; i++)
        {
            sparse[i] = new double[rounds];
            cached[i] = new double[rounds];
        }
        for (int round = 0; round < rounds; round++)
            for (int i = 0; i < documents.Count; i++)
            {
                var clock = Stopwatch.StartNew();
                workloads[i].BlockSparse();
                sparse[i][round] = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                workloads[i].CachedQuery();
                cached[i][round] = clock.Elapsed.TotalMilliseconds;
            }
        var result = new List<(int, double, double)>(documents.Count);
        for (int i = 0; i < documents.Count; i++)
        {
            double s = Median(sparse[i]), c = Median(cached[i]);
            log?.WriteLine($"  N = {documents[i],4}: block-sparse {s,10:0.###} ms ({s / documents[i]:0.###} per document), cached query {c,8:0.###} ms ({c / documents[i]:0.###} per document)");
            result.Add((documents[i], s, c));
        }
        return result;
    }

    /// <summary>The middle of the sorted samples (the upper middle for an even count); every benchmark's median.</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = new double[values.Count];
        int i = 0;
        foreach (double v in values) sorted[i++] = v;
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
