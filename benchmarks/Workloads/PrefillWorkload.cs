using Search.GpuAttention;
using Search.GpuAttention.Caching;
using Search.Models.Llama;

namespace Search.Benchmarks.Workloads;

/// <summary>A seeded BlockRank prompt (instruction, N documents, query) on a decoder, run two ways for the same masses:
/// the one-pass block-sparse prefill of the whole prompt, and the query block alone against documents already cached.</summary>
public sealed class PrefillWorkload
{
    private readonly LlamaDecoder _decoder;
    private readonly BlockKvCache _cache = new();
    private readonly string[] _context;
    private readonly int[] _massLayers;

    /// <summary>Builds the prompt from random token ids and encodes the instruction and every document into the cache
    /// (the untimed part: in a deployment documents are encoded once, before any query).</summary>
    public PrefillWorkload(LlamaDecoder decoder, int documents, int instructionTokens = 32, int documentTokens = 128, int queryTokens = 32, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(documents);
        _decoder = decoder;
        var random = new Random(seed);
        int[] Tokens(int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(decoder.Config.VocabSize))];
        Prompt = new BlockRankPrompt(Tokens(instructionTokens), [.. Enumerable.Range(0, documents).Select(_ => Tokens(documentTokens))], Tokens(queryTokens));
        MassLayer = decoder.Config.NumHiddenLayers - 1;
        // Masses at every layer cost little next to the projections and make the agreement check cover the whole depth.
        _massLayers = [.. Enumerable.Range(0, decoder.Config.NumHiddenLayers)];
        _context = ["instruction", .. Enumerable.Range(0, documents).Select(d => $"doc{d}")];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        decoder.EncodeBlock(_cache, "instruction", Prompt.Instruction, []);
        int position = Prompt.Instruction.Length;
        for (int d = 0; d < documents; d++)
        {
            // Each document at its offset in this assembly, so the cached query repeats the one-pass numbers exactly; encoded
            // right after the instruction instead (the reusable scheme) its states differ, but the query's work is the same.
            decoder.EncodeBlock(_cache, _context[d + 1], Prompt.Documents[d], ["instruction"], position);
            position += Prompt.Documents[d].Length;
        }
        EncodeMs = clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>The prompt.</summary>
    public BlockRankPrompt Prompt { get; }

    /// <summary>Tokens in the assembled prompt.</summary>
    public int Tokens => Prompt.QueryStart + Prompt.Query.Length;

    /// <summary>The layer whose masses are the BlockRank scores: the last.</summary>
    public int MassLayer { get; }

    /// <summary>Time it took to encode the instruction and documents into the cache, in ms.</summary>
    public double EncodeMs { get; }

    /// <summary>Keys and values held by the cache, in bytes.</summary>
    public long CacheBytes => _cache.Bytes;

    /// <summary>Floating-point operations of <see cref="Full"/>: every token through every layer.</summary>
    public double FullFlops
    {
        get
        {
            double instruction = Prompt.Instruction.Length, pairs = Causal(instruction) + QueryPairs;
            foreach (int[] document in Prompt.Documents) pairs += document.Length * instruction + Causal(document.Length);
            return Flops(Tokens, pairs);
        }
    }

    /// <summary>Floating-point operations of <see cref="Cached"/>: the query tokens only.</summary>
    public double CachedFlops => Flops(Prompt.Query.Length, QueryPairs);

    private double QueryPairs => (double)Prompt.Query.Length * Prompt.QueryStart + Causal(Prompt.Query.Length);

    private static double Causal(double length) => length * (length + 1) / 2;

    /// <summary>2 per weight and token in the projections and MLP, 4·headDim per visible (query, key) pair and head.</summary>
    private double Flops(double tokens, double attentionPairs)
    {
        var c = _decoder.Config;
        double weights = (double)c.HiddenSize * (2 * c.NumAttentionHeads + 2 * c.KeyValueHeads) * c.HeadDim + 3.0 * c.HiddenSize * c.IntermediateSize;
        return c.NumHiddenLayers * (2 * weights * tokens + 4.0 * c.HeadDim * c.NumAttentionHeads * attentionPairs);
    }

    /// <summary>(i) The one-pass BlockRank prefill of the whole prompt; per layer, the query rows' masses to every block.</summary>
    public IReadOnlyDictionary<int, BlockMasses> Full() => _decoder.PrefillBlockRank(Prompt, _massLayers).Masses;

    /// <summary>(ii) The query block alone against the cached instruction and documents; masses as in <see cref="Full"/>.</summary>
    public IReadOnlyDictionary<int, BlockMasses> Cached() => _decoder.QueryCached(_cache, _context, Prompt.Query, _massLayers).Masses;

    /// <summary>The largest difference between two runs' head-summed masses over every layer, query row and block.</summary>
    public static float MaxDifference(IReadOnlyDictionary<int, BlockMasses> a, IReadOnlyDictionary<int, BlockMasses> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("the runs have masses at different layers", nameof(b));
        float max = 0;
        foreach (var (layer, x) in a)
        {
            BlockMasses y = b[layer];
            if (x.Rows.Count != y.Rows.Count || x.Blocks != y.Blocks) throw new ArgumentException($"layer {layer}: the runs' masses differ in shape", nameof(b));
            for (int r = 0; r < x.Rows.Count; r++)
                for (int block = 0; block < x.Blocks; block++) max = Math.Max(max, Math.Abs(x.Summed(r, block) - y.Summed(r, block)));
        }
        return max;
    }
}
