using System.Diagnostics;

namespace Search.Benchmarks.Workloads;

/// <summary>
/// The model-level BlockRank comparison behind <c>./search bench attention --quick</c>: a random-weight Llama decoder
/// prefills the whole prompt in one block-sparse pass, or runs only the query block against cached documents; both
/// return the per-block masses, which must agree.
/// </summary>
public static class PrefillBenchmark
{
    // Two one-pass prefills (seconds each) keep the whole quick bench under a minute; the cached runs are cheap.
    private const int Rounds = 2;
    private const int CachedRunsPerRound = 5;

    /// <summary>Runs <paramref name="documents"/> document blocks through a decoder of <paramref name="layers"/> layers
    /// (the other dimensions are <see cref="RandomDecoder.Config"/>'s defaults); progress goes to <paramref name="log"/>.</summary>
    public static PrefillResult Run(int documents = 100, int layers = 4, TextWriter? log = null, int seed = 42)
    {
        var config = RandomDecoder.Config(layers);
        var workload = new PrefillWorkload(RandomDecoder.Create(config, seed), documents, seed: seed);
        log?.WriteLine($"model prefill: random-weight Llama, {layers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads ({config.KeyValueHeads} KV) × {config.HeadDim}, " +
            $"SwiGLU {config.IntermediateSize}; {documents} documents × 128 + 32 instruction + 32 query = {workload.Tokens} tokens; " +
            $"documents encoded into the cache in {workload.EncodeMs:0} ms ({workload.CacheBytes / 1048576.0:0.#} MiB, untimed)");
        var cachedMasses = workload.Cached(); // warm-up of the query path; the full path's code was warmed by the encoding
        float difference = 0;
        var full = new List<double>();
        var cached = new List<double>();
        // Rounds interleave the two so that load from other processes on a shared machine hits them alike.
        for (int round = 0; round < Rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            var fullMasses = workload.Full();
            full.Add(clock.Elapsed.TotalMilliseconds);
            if (round == 0) difference = PrefillWorkload.MaxDifference(fullMasses, cachedMasses);
            for (int i = 0; i < CachedRunsPerRound; i++)
            {
                clock.Restart();
                workload.Cached();
                cached.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        var result = new PrefillResult(documents, workload.Tokens, layers, AttentionScaling.Median(full), AttentionScaling.Median(cached), workload.EncodeMs, difference, workload.FullFlops / workload.CachedFlops);
        log?.WriteLine($"  one-pass prefill median {result.FullMs,10:0.###} ms  (min {full.Min():0.###}, max {full.Max():0.###}, {full.Count} runs)");
        log?.WriteLine($"  cached query     median {result.CachedMs,10:0.###} ms  (min {cached.Min():0.###}, max {cached.Max():0.###}, {cached.Count} runs)");
        log?.WriteLine($"  work: {workload.FullFlops / 1e9:0.#} GFLOP one-pass, {workload.CachedFlops / 1e9:0.##} GFLOP cached ({result.FullFlopsOverCachedFlops:0.#}×); " +
            $"{workload.FullFlops / (result.FullMs * 1e6):0.#} and {workload.CachedFlops / (result.CachedMs * 1e6):0.#} GFLOP/s");
        log?.WriteLine($"  masses of the two paths, every layer: max abs difference {difference:E2}{(difference <= 1e-4f ? "" : " — DISAGREE")}");
        return result;
    }
}
