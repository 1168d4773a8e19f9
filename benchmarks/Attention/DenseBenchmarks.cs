using BenchmarkDotNet.Attributes;
using Search.Benchmarks.Workloads;

namespace Search.Benchmarks.Attention;

/// <summary>
/// (a) dense causal attention over the whole context. Its cost is quadratic in N (about 7 s at N = 100 and
/// 3 minutes at N = 500 on two cores), so its N list is separate: ATTENTION_BENCH_DENSE_DOCS.
/// </summary>
[MemoryDiagnoser]
public class DenseBenchmarks
{
    private BlockRankWorkload _workload = null!;

    /// <summary>Document blocks.</summary>
    [ParamsSource(nameof(Counts))]
    public int N { get; set; }

    /// <summary>The N values.</summary>
    public static IEnumerable<int> Counts => DocumentCounts.FromEnvironment("ATTENTION_BENCH_DENSE_DOCS", "10,50,100,200,500");

    /// <summary>Builds the inputs.</summary>
    [GlobalSetup]
    public void Setup() => _workload = new BlockRankWorkload(N);

    /// <summary>(a) dense causal attention.</summary>
    [Benchmark]
    public void DenseCausal() => _workload.DenseCausal();
}
