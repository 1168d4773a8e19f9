using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Search.Benchmarks.Workloads;
using Search.GpuAttention;
using Search.GpuAttention.Caching;
using Search.Models;
using Search.Models.Configuration;
using Search.Models.Llama;
using Search.Models.Tokenization;
using Search.Ranking.Reranking.InContext;

namespace Search.Benchmarks;

/// <summary>
/// <c>./search bench ranking</c>: the in-context ranker's cost per query at N candidate passages of 128 tokens on a
/// random-weight decoder (Qwen2.5-0.5B's shape, and the tiny test model's): (a) a full causal prefill of the whole
/// prompt, (b) the block-sparse BlockRank prefill without the store, (c) the ranker with its passage-KV store warm,
/// plus (c) cold (the store empty: every passage encoded once); the store's bytes per passage; what storing passage
/// states in fp16, bf16 or int8 does to scores, top 10 and time against fp32; and the store's hit rate under a Zipfian
/// stream of queries at several memory budgets.
/// </summary>
public static class RankingBenchmark
{
    /// <summary>One shape of decoder: its name and config (the layers up to the scoring layer; the rest are never run).</summary>
    private sealed record Shape(string Name, ModelConfig Config);

    /// <summary>Runs the benchmark; the tokenizer comes from <paramref name="tokenizerDirectory"/>'s tokenizer.json.</summary>
    public static string Run(string tokenizerDirectory, bool quick, IAttentionBackend attention, TextWriter log, int seed = 42)
    {
        Tokenizer tokenizer = TokenizerJson.Load(Path.Combine(tokenizerDirectory, "tokenizer.json"));
        // Qwen2.5-0.5B: 24 layers, hidden 896, 14 heads of 64, 2 KV heads, SwiGLU 4864; the ranker reads layer 15 (two
        // thirds up), so 16 layers are all any path runs. --quick keeps 4 of them: the ratios hold, the minutes do not.
        int qwenLayers = quick ? 4 : 16;
        var shapes = new[]
        {
            new Shape($"qwen2.5-0.5b-shape ({qwenLayers} of 24 layers)", RandomDecoder.Config(qwenLayers, hidden: 896, heads: 14, kvHeads: 2, intermediate: 4864, vocab: Math.Max(1000, tokenizer.IdCount))),
            new Shape("tiny (2 layers, hidden 64)", RandomDecoder.Config(2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, vocab: Math.Max(1000, tokenizer.IdCount))),
        };
        int[] counts = [10, 30, 100];
        var summary = new Dictionary<string, object>();
        foreach (var shape in shapes)
        {
            bool main = shape == shapes[0];
            using var decoder = RandomDecoder.Create(shape.Config, seed, KvPrecision.Float16, attention);
            var model = new TextDecoder(tokenizer, decoder);
            log.WriteLine($"ranking: {shape.Name}; passages of 128 tokens; fp16 passage K/V; attention on {attention.Name}, dense layers on {model.Decoder.Layers}");
            if (main) summary["layers"] = model.Decoder.Layers;
            foreach (int n in counts)
            {
                var row = Measure(model, n, quick ? 1 : 2, seed, log);
                string suffix = main ? $"_at_{n}" : $"_tiny_at_{n}";
                summary["full_p50_ms" + suffix] = row.FullMs;
                summary["sparse_p50_ms" + suffix] = row.SparseMs;
                summary["cached_p50_ms" + suffix] = row.CachedMs;
                summary["cold_ms" + suffix] = row.ColdMs;
                if (!main) continue;
                if (n == 100)
                {
                    summary["cached_vs_full_at_100"] = row.FullMs / row.CachedMs;
                    summary["sparse_vs_dense_at_100"] = row.FullMs / row.SparseMs;
                }
                if (n == 30) summary["ranked_p50_ms_at_30"] = row.CachedMs;
                summary["kv_bytes_per_segment"] = row.BytesPerPassage;
            }
        }
        foreach (var (key, value) in PrecisionEffect(tokenizer, shapes[0], attention, seed, log)) summary[key] = value;
        foreach (var (fraction, rate) in ZipfHitRates(seed, log)) summary[$"zipf_hit_rate_budget_{fraction.ToString("0.##", CultureInfo.InvariantCulture).Replace('.', '_')}"] = rate;
        summary["quick"] = quick;
        summary["device"] = attention.Name;
        return JsonSerializer.Serialize(summary);
    }

    private sealed record Row(double FullMs, double SparseMs, double CachedMs, double ColdMs, long BytesPerPassage);

    private static Row Measure(TextDecoder model, int n, int rounds, int seed, TextWriter log)
    {
        var random = new Random(seed + n);
        var words = Words(random, n);
        var options = new InContextRankerOptions { Layer = model.Decoder.Config.NumHiddenLayers - 1, MaxPassageTokens = 128, Precision = KvPrecision.Float16 };
        const string query = "which clause says when a refund is due after termination";
        // The one-pass prompt holds exactly the tokens the ranker assembles.
        var prompt = new BlockRankPrompt(model.Tokenizer.Encode(options.Instruction),
            [.. words.Select(p => model.Tokenizer.Encode(p, addSpecialTokens: false, maxLength: options.MaxPassageTokens))],
            model.Tokenizer.Encode(string.Format(CultureInfo.InvariantCulture, options.QueryTemplate, query), addSpecialTokens: false));
        var store = new PassageKvStore(new PassageKvStoreOptions { MemoryBytes = long.MaxValue / 4 });
        var ranker = new InContextRanker(model, "random", "random-" + seed.ToString(CultureInfo.InvariantCulture), options, store);

        var clock = Stopwatch.StartNew();
        ranker.Score(query, words);
        double cold = clock.Elapsed.TotalMilliseconds;
        var full = new List<double>();
        var sparse = new List<double>();
        var cached = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            clock.Restart();
            model.Decoder.Prefill(prompt.Tokens);
            full.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            model.Decoder.ScoreBlockRank(prompt, options.Layer!.Value);
            sparse.Add(clock.Elapsed.TotalMilliseconds);
            for (int i = 0; i < 5; i++)
            {
                clock.Restart();
                ranker.Score(query, words);
                cached.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        var stats = store.Stats();
        var row = new Row(AttentionScaling.Median(full), AttentionScaling.Median(sparse), AttentionScaling.Median(cached), cold, stats.Bytes / n);
        log.WriteLine($"  N={n,3} ({prompt.Tokens.Length} tokens): full prefill {row.FullMs,9:0.0} ms, block-sparse {row.SparseMs,9:0.0} ms, " +
            $"cached {row.CachedMs,8:0.0} ms ({row.FullMs / row.CachedMs:0.#}× faster than full), cold store {row.ColdMs:0} ms; " +
            $"{row.BytesPerPassage / 1024.0:0} KiB per passage; store hit rate {stats.HitRate:P0} over its {1 + rounds * 5} queries (the first cold)");
        return row;
    }

    // The same 30 passages scored with the passage states stored in each precision, against fp32: how far the scores
    // move, how much of the top 10 stays, what a passage costs, and the warm query's time.
    private static Dictionary<string, object> PrecisionEffect(Tokenizer tokenizer, Shape shape, IAttentionBackend attention, int seed, TextWriter log)
    {
        const int n = 30;
        const string query = "which clause says when a refund is due after termination";
        var words = Words(new Random(seed + n), n);
        var result = new Dictionary<string, object>();
        double[]? reference = null;
        foreach (var (name, precision) in new[] { ("fp32", KvPrecision.Float32), ("fp16", KvPrecision.Float16), ("bf16", KvPrecision.BFloat16), ("int8", KvPrecision.Int8) })
        {
            using var decoder = RandomDecoder.Create(shape.Config, seed, precision, attention);
            var model = new TextDecoder(tokenizer, decoder);
            var options = new InContextRankerOptions { Layer = shape.Config.NumHiddenLayers - 1, MaxPassageTokens = 128, Precision = precision };
            var store = new PassageKvStore(new PassageKvStoreOptions { MemoryBytes = long.MaxValue / 4 });
            var ranker = new InContextRanker(model, "random", "random-" + seed.ToString(CultureInfo.InvariantCulture), options, store);
            double[] scores = ranker.Score(query, words);
            var warm = new List<double>();
            for (int i = 0; i < 5; i++)
            {
                var clock = Stopwatch.StartNew();
                ranker.Score(query, words);
                warm.Add(clock.Elapsed.TotalMilliseconds);
            }
            reference ??= scores;
            double worst = 0, largest = 0;
            for (int i = 0; i < n; i++)
            {
                worst = Math.Max(worst, Math.Abs(scores[i] - reference[i]));
                largest = Math.Max(largest, Math.Abs(reference[i]));
            }
            int overlap = Top(scores, 10).Intersect(Top(reference, 10)).Count();
            long bytes = store.Stats().Bytes / n;
            result[$"kv_bytes_per_segment_{name}"] = bytes;
            result[$"score_max_abs_diff_{name}"] = worst;
            result[$"top10_overlap_{name}"] = overlap;
            result[$"cached_p50_ms_at_30_{name}"] = AttentionScaling.Median(warm);
            log.WriteLine($"  passage states in {name}: {bytes / 1024.0:0} KiB per passage, largest score change {worst:E2} (largest score {largest:E2}), " +
                $"top 10 shared with fp32 {overlap}/10, warm query {AttentionScaling.Median(warm):0.0} ms");
        }
        return result;
    }

    private static IEnumerable<int> Top(double[] scores, int k) => Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(k);

    // Zipf(1) over 20,000 passages, 30 candidates a query: the share of lookups the memory tier answers when it holds
    // 1%, 5%, 10% or 25% of the passages (entries all one size, so the budget is a count).
    private static List<(double Fraction, double Rate)> ZipfHitRates(int seed, TextWriter log)
    {
        const int passages = 20_000, queries = 5_000, candidates = 30;
        var weights = new double[passages];
        double total = 0;
        for (int i = 0; i < passages; i++) total += weights[i] = 1.0 / (i + 1);
        var cumulative = new double[passages];
        double running = 0;
        for (int i = 0; i < passages; i++) cumulative[i] = running += weights[i] / total;
        var entry = new PassageKv([new CachedBlock(KvTensor.Create(1, 1, 1), KvTensor.Create(1, 1, 1), 0)]);
        var results = new List<(double, double)>();
        foreach (double fraction in new[] { 0.01, 0.05, 0.10, 0.25 })
        {
            var random = new Random(seed);
            var store = new PassageKvStore(new PassageKvStoreOptions { MemoryBytes = (long)(passages * fraction) * entry.Bytes });
            for (int q = 0; q < queries; q++)
            {
                for (int c = 0; c < candidates; c++)
                {
                    int index = Array.BinarySearch(cumulative, random.NextDouble());
                    string key = Convert.ToHexStringLower(BitConverter.GetBytes((long)(index < 0 ? ~index : index))).PadLeft(16, '0');
                    if (!store.TryGet(key, out _)) store.Put(key, entry);
                }
            }
            results.Add((fraction, store.Stats().HitRate));
        }
        log.WriteLine("  store hit rate, Zipf(1) over 20,000 passages, 30 a query, LRU: " + string.Join(", ", results.Select(r => $"{r.Item1:P0} held → {r.Item2:P1}")));
        return results;
    }

    private static List<string> Words(Random random, int n)
    {
        string[] vocabulary = ["refund", "termination", "clause", "notice", "party", "breach", "plan", "annual", "fee", "account", "service", "days",
            "agreement", "data", "privacy", "renewal", "cancel", "payment", "liability", "warranty", "the", "of", "and", "within", "after", "before"];
        var passages = new List<string>(n);
        for (int p = 0; p < n; p++)
        {
            var text = new StringBuilder("\n");
            for (int w = 0; w < 200; w++) text.Append(vocabulary[random.Next(vocabulary.Length)]).Append(' ');
            passages.Add(text.ToString());
        }
        return passages;
    }
}
