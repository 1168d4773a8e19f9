using Search.GpuAttention;
using Search.GpuAttention.Caching;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// The device kernel against the CPU kernels on seeded random problems (odd sizes, empty blocks, grouped-query heads,
/// fp32/fp16/bf16 storage, both RoPE pairings): what the unit tests check on ILGPU's CPU accelerator, run on a real GPU.
/// </summary>
public static class AttentionDeviceCheck
{
    /// <summary>Runs every problem on both backends; returns the largest output and mass differences, and a line per problem.</summary>
    public static (double MaxOutputDifference, double MaxMassDifference) Run(IAttentionBackend device, TextWriter log, int seed = 1)
    {
        var cpu = new CpuAttentionBackend();
        double worstOutput = 0, worstMass = 0;
        var random = new Random(seed);
        foreach (var precision in new[] { KvPrecision.Float32, KvPrecision.Float16, KvPrecision.BFloat16 })
            foreach (var (heads, kvHeads, d) in new[] { (2, 1, 7), (14, 2, 64), (8, 8, 128), (6, 2, 33) })
            {
                int[] docs = [random.Next(1, 200), 0, random.Next(1, 300), 1, 128];
                var layout = BlockLayout.BlockRank(random.Next(0, 70), docs, random.Next(1, 40));
                var input = Problem(random, heads, kvHeads, layout.Tokens, d, precision);
                var rows = new RowRange(layout.BlockStart(layout.BlockCount - 1), layout.BlockLength(layout.BlockCount - 1));
                var (o1, m1) = Compare(cpu, device, (b, o) => b.BlockSparse(input, layout, o, rows)!, input.OutputLength);
                var (o2, _) = Compare(cpu, device, (b, o) => { b.Dense(input, true, o!); return null; }, input.OutputLength);
                var (o3, m3) = Compare(cpu, device, CachedCase(random, heads, kvHeads, d, precision, out int queryLength), heads * queryLength * d);
                double output = Math.Max(o1, Math.Max(o2, o3)), mass = Math.Max(m1, m3);
                log.WriteLine($"  {precision,-8} heads {heads,2}/{kvHeads,-2} d {d,3} tokens {layout.Tokens,4}: output differs by {output:E1}, masses by {mass:E1}");
                worstOutput = Math.Max(worstOutput, output);
                worstMass = Math.Max(worstMass, mass);
            }
        return (worstOutput, worstMass);
    }

    private static Func<IAttentionBackend, float[]?, BlockMasses?> CachedCase(Random random, int heads, int kvHeads, int d, KvPrecision precision, out int queryLength)
    {
        var pairing = random.Next(2) == 0 ? RotaryPairing.RotateHalf : RotaryPairing.Interleaved;
        var cache = new BlockKvCache();
        var ids = new List<string>();
        int[] lengths = [random.Next(1, 40), random.Next(1, 200), 0, random.Next(1, 200)];
        for (int b = 0; b < lengths.Length; b++)
        {
            cache.Put($"block-{b}", 0, Tensor(random, kvHeads, lengths[b], d, precision), Tensor(random, kvHeads, lengths[b], d, precision), random.Next(0, 500));
            ids.Add($"block-{b}");
        }
        var context = new CachedContext(cache, 0, ids, d % 2 == 0 ? new RotaryEmbedding(d, 10_000, pairing) : null);
        int length = queryLength = random.Next(1, 40);
        var query = new AttentionInput(BlockRankWorkload.RandomArray(random, heads * length * d), heads, length, 0, Tensor(random, kvHeads, length, d, precision), Tensor(random, kvHeads, length, d, precision));
        return (backend, output) => backend.QueryAgainstCache(context, query, output, new RowRange(0, length));
    }

    private static (double Output, double Mass) Compare(IAttentionBackend cpu, IAttentionBackend device, Func<IAttentionBackend, float[]?, BlockMasses?> run, int outputLength)
    {
        var expected = new float[outputLength];
        var actual = new float[outputLength];
        var expectedMasses = run(cpu, expected);
        var actualMasses = run(device, actual);
        double output = 0;
        for (int i = 0; i < outputLength; i++) output = Math.Max(output, Math.Abs(expected[i] - actual[i]));
        return (output, expectedMasses is not null && actualMasses is not null ? MaxMassDifference(expectedMasses, actualMasses) : 0);
    }

    /// <summary>The largest per-head mass difference between two results of the same call.</summary>
    internal static double MaxMassDifference(BlockMasses a, BlockMasses b)
    {
        double worst = 0;
        for (int h = 0; h < a.Heads; h++)
            for (int r = 0; r < a.Rows.Count; r++)
                for (int k = 0; k < a.Blocks; k++) worst = Math.Max(worst, Math.Abs(a.PerHead(h, r, k) - b.PerHead(h, r, k)));
        return worst;
    }

    private static AttentionInput Problem(Random random, int heads, int kvHeads, int tokens, int d, KvPrecision precision) =>
        new(BlockRankWorkload.RandomArray(random, heads * tokens * d), heads, tokens, 0, Tensor(random, kvHeads, tokens, d, precision), Tensor(random, kvHeads, tokens, d, precision));

    private static KvTensor Tensor(Random random, int heads, int tokens, int d, KvPrecision precision) =>
        KvTensor.FromSingle(BlockRankWorkload.RandomArray(random, heads * tokens * d), heads, tokens, d, precision);
}
