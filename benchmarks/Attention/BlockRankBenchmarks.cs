using BenchmarkDotNet.Attributes;
using Search.Benchmarks.Workloads;

namespace Search.Benchmarks.Attention;

/// <summary>
/// (b) block-sparse BlockRank attention over the whole context, (c) the query block against cached document K/V,
/// and the matmul baseline of the same products; N document blocks of 128 tokens, 16 heads × 64, 32-token query.
/// </summary>
[MemoryDiagnoser]
public class BlockRankBenchmarks
{
    private BlockRankWorkload _workload = null!;

    /// <summary>Document blocks.</summary>
    [ParamsSource(nameof(Counts))]
    public int N { get; set; }

    /// <summary>The N values.</summary>
    public static IEnumerable<int> Counts => DocumentCounts.FromEnvironment("ATTENTION_BENCH_DOCS", "10,50,100,200,500");

    /// <summary>Builds the inputs and the cache.</summary>
    [GlobalSetup]
    public void Setup() => _workload = new BlockRankWorkload(N);

    /// <summary>(b) block-sparse BlockRank prefill with the query rows' block masses.</summary>
    [Benchmark(Baseline = true)]
    public object BlockSparse() => _workload.BlockSparse();

    /// <summary>(c) query block against cached K/V.</summary>
    [Benchmark]
    public object CachedQuery() => _workload.CachedQuery();

    /// <summary>Matmul baseline: Q·Kᵀ and P·V of one 128-row block against the whole context, no softmax.</summary>
    [Benchmark]
    public void MatMul() => _workload.MatMul();
}
