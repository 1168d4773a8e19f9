using Search.GpuAttention;
using Search.Models;
using Search.Ranking.Reranking.InContext;
using Search.TestSupport;
using Xunit.Abstractions;

namespace Search.Ranking.Tests;

/// <summary>
/// The in-context ranker on the tiny random-weight Llama fixture (its passes are checked against PyTorch in
/// Models.Tests): it scores as the one-pass BlockRank prefill does, and the passage-KV store changes nothing but cost.
/// </summary>
public class InContextRankerTests(ITestOutputHelper output)
{
    private static readonly string ModelDir = Path.Combine(RepoPaths.Root, "tests", "Models.Tests", "Fixtures", "tiny-llama");
    private static readonly string[] Passages =
    [
        "The refund is due within thirty days after termination for convenience.",
        "Lighthouse keepers trimmed the lamp at dusk and rang the fog bell.",
        "Annual plans renew automatically unless cancelled before the renewal date.",
        "The varroa mite weakens honey bee colonies over the winter.",
        "Either party may terminate for a material breach after notice.",
    ];

    private static InContextRanker Ranker(PassageKvStoreOptions? store = null, KvPrecision precision = KvPrecision.Float32) =>
        InContextRanker.Load(ModelDir, new InContextRankerOptions { Layer = 1, Precision = precision }, new PassageKvStore(store ?? new PassageKvStoreOptions()));

    [Fact]
    public void One_passage_scores_as_the_one_pass_block_rank_prefill_scores_it()
    {
        var ranker = Ranker();
        var options = new InContextRankerOptions();
        TextDecoder model = ModelDirectory.LoadDecoder(ModelDir);
        foreach (string passage in Passages)
        {
            double cached = ranker.Score("refund after termination", [passage])[0];
            var prompt = model.Prompt(options.Instruction, [passage], string.Format(System.Globalization.CultureInfo.InvariantCulture, options.QueryTemplate, "refund after termination"));
            double onePass = model.Decoder.ScoreBlockRank(prompt, 1).TotalPerBlock()[1];
            Assert.True(Math.Abs(cached - onePass) < 1e-4, $"{cached} vs {onePass}");
        }
    }

    [Fact]
    public void A_warm_store_answers_later_queries_with_the_scores_a_cold_one_gives()
    {
        var ranker = Ranker();
        ranker.Score("refund after termination", Passages);
        Assert.Equal((0L, (long)Passages.Length), (ranker.Store.Stats().Hits, ranker.Store.Stats().Misses));
        double[] warm = ranker.Score("bees in winter", Passages);
        Assert.Equal((long)Passages.Length, ranker.Store.Stats().Hits);
        double[] cold = Ranker().Score("bees in winter", Passages);
        Assert.Equal(cold, warm);
        // The query block attends to every passage: the bee passage gets more of it than the lighthouse one.
        Assert.NotEqual(warm[3], warm[1]);
    }

    [Fact]
    public void A_changed_passage_is_encoded_again_and_never_served_stale()
    {
        var ranker = Ranker();
        ranker.Score("refund", Passages);
        string[] changed = [.. Passages];
        changed[2] = "Annual plans renew automatically; cancel at least a week before the renewal date.";
        double[] scores = ranker.Score("refund", changed);
        var stats = ranker.Store.Stats();
        Assert.Equal((long)Passages.Length + 1, stats.Misses);
        Assert.Equal((long)Passages.Length - 1, stats.Hits);
        Assert.Equal(Ranker().Score("refund", changed), scores);
    }

    [Fact]
    public void A_budget_smaller_than_one_query_still_ranks_exactly_and_evicts()
    {
        var unbounded = Ranker();
        double[] expected = unbounded.Score("termination", Passages);
        long onePassage = unbounded.Store.Stats().Bytes / Passages.Length;
        var small = Ranker(new PassageKvStoreOptions { MemoryBytes = onePassage * 2 });
        Assert.Equal(expected, small.Score("termination", Passages));
        Assert.Equal(expected, small.Score("termination", Passages));
        var stats = small.Store.Stats();
        Assert.True(stats.Bytes <= onePassage * 2, $"{stats.Bytes} bytes held");
        Assert.True(stats.Evictions >= Passages.Length, $"{stats.Evictions} evictions");
    }

    [Fact]
    public void The_file_tier_survives_a_restart_and_a_damaged_file_is_encoded_again()
    {
        using var dir = new TempDirectory();
        var files = new PassageKvStoreOptions { Directory = dir.Path, MemoryBytes = 0 };
        double[] expected = Ranker(files).Score("termination", Passages);

        var restarted = Ranker(files);
        Assert.Equal(Passages.Length, restarted.Store.Stats().DiskEntries);
        Assert.Equal(expected, restarted.Score("termination", Passages));
        Assert.Equal(((long)Passages.Length, 0L), (restarted.Store.Stats().DiskHits, restarted.Store.Stats().Misses));

        // One byte flipped in the middle of one file: the checksum catches it, the passage is encoded again.
        string victim = Directory.EnumerateFiles(dir.Path, "*.kv", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        byte[] bytes = File.ReadAllBytes(victim);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(victim, bytes);
        var damaged = Ranker(files);
        Assert.Equal(expected, damaged.Score("termination", Passages));
        var stats = damaged.Store.Stats();
        Assert.Equal((1L, 1L, (long)Passages.Length - 1), (stats.Damaged, stats.Misses, stats.DiskHits));

        // A smaller file budget trims the oldest files at start.
        var trimmed = Ranker(files with { DiskBytes = new FileInfo(victim).Length + 1 });
        Assert.Equal(1, trimmed.Store.Stats().DiskEntries);
    }

    [Fact]
    public void Fp16_passage_states_keep_the_ranking_and_move_scores_little()
    {
        var fp32 = Ranker();
        double[] full = fp32.Score("refund after termination", Passages);
        var half = Ranker(precision: KvPrecision.Float16);
        double[] halved = half.Score("refund after termination", Passages);
        double worst = 0;
        for (int i = 0; i < full.Length; i++) worst = Math.Max(worst, Math.Abs(full[i] - halved[i]) / Math.Abs(full[i]));
        output.WriteLine($"fp16 passage K/V: largest relative change of a score {worst:E2}; {half.Store.Stats().Bytes} bytes vs {fp32.Store.Stats().Bytes}");
        Assert.True(worst < 1e-2, $"{worst}");
        Assert.Equal(Order(full), Order(halved));
    }

    [Fact]
    public void Bad_keys_and_layers_are_refused()
    {
        var store = new PassageKvStore(new PassageKvStoreOptions());
        Assert.Throws<ArgumentException>(() => store.TryGet("../../etc/passwd", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => InContextRanker.Load(ModelDir, new InContextRankerOptions { Layer = 2 }, store));
    }

    private static int[] Order(double[] scores) => [.. Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i])];
}
