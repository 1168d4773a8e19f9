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
        var options = new InContextRankerOptions { Layer = 1, Precision = KvPrecision.Float32, Readout = RankerReadout.Mass, Positions = PassagePositions.Assembled };
        var ranker = InContextRanker.Load(ModelDir, options, new PassageKvStore(new PassageKvStoreOptions()));
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
    public void Calibrated_scores_are_the_querys_masses_less_a_content_free_querys()
    {
        var plain = Ranker();
        double[] query = plain.Score("refund after termination", Passages);
        double[] contentFree = plain.Score(InContextRanker.ContentFreeQuery, Passages);
        var calibrated = InContextRanker.Load(ModelDir, new InContextRankerOptions { Layer = 1, Precision = KvPrecision.Float32, Calibrate = true },
            new PassageKvStore(new PassageKvStoreOptions()));
        Assert.EndsWith("calibrated)", calibrated.Name, StringComparison.Ordinal);
        double[] scores = calibrated.Score("refund after termination", Passages);
        for (int i = 0; i < Passages.Length; i++) Assert.Equal(query[i] - contentFree[i], scores[i], 12);
        // The content-free query calibrated against itself leaves nothing.
        Assert.All(calibrated.Score(InContextRanker.ContentFreeQuery, Passages), s => Assert.Equal(0, s, 12));
    }

    [Fact]
    public void On_the_ilgpu_kernel_the_ranker_scores_as_on_the_cpu_kernels()
    {
        double[] cpu = Ranker().Score("refund after termination", Passages);
        using var device = Search.GpuAttention.Ilgpu.IlgpuAttentionBackend.CreateCpuSimulator();
        var ilgpu = InContextRanker.Load(ModelDir, new InContextRankerOptions { Layer = 1, Precision = KvPrecision.Float32 }, new PassageKvStore(new PassageKvStoreOptions()), device);
        Assert.StartsWith("ilgpu-", ilgpu.Attention, StringComparison.Ordinal);
        Assert.Equal("cpu", ilgpu.Layers); // a simulator sized for the attention kernel's 64-thread groups keeps the dense layers on the CPU
        double[] scores = ilgpu.Score("refund after termination", Passages);
        for (int i = 0; i < cpu.Length; i++) Assert.True(Math.Abs(cpu[i] - scores[i]) < 1e-4, $"{i}: {cpu[i]} vs {scores[i]}");
    }

    [Fact]
    public void The_block_rank_readout_averages_each_heads_attention_over_passages_at_the_answer_position_and_the_token_before()
    {
        // 2 heads × 3 query rows × 4 blocks (instruction, passage 1, passage 2, the query block); row 0 is not read.
        float[] perHead =
        [
            0.1f, 0.8f, 0.0f, 0.1f,   0.5f, 0.1f, 0.3f, 0.1f,   0.2f, 0.2f, 0.2f, 0.4f, // head 0: rows 0, 1, 2
            0.3f, 0.0f, 0.6f, 0.1f,   0.6f, 0.2f, 0.2f, 0.0f,   0.1f, 0.6f, 0.0f, 0.3f, // head 1
        ];
        var masses = BlockMasses.From(2, new RowRange(0, 3), 4, perHead);
        double[] scores = InContextRanker.BlockRankReadout(masses, 2);
        // Passage shares per (head, row) read: (0.25, 0.75), (0.5, 0.5), (0.5, 0.5), (1, 0); averaged.
        Assert.Equal(2.25 / 4, scores[0], 6);
        Assert.Equal(1.75 / 4, scores[1], 6);

        // Through the model: a distribution over the passages, whatever the query.
        var ranker = Ranker();
        foreach (string query in new[] { "refund after termination", "bees" })
            Assert.Equal(1.0, ranker.Score(query, Passages).Sum(), 9);
    }

    [Fact]
    public void With_shared_positions_the_scores_do_not_depend_on_the_candidates_order_and_assembled_ones_do()
    {
        int[] order = [3, 0, 4, 2, 1];
        string[] shuffled = [.. order.Select(i => Passages[i])];
        var shared = Ranker();
        double[] scores = shared.Score("refund after termination", Passages), permuted = shared.Score("refund after termination", shuffled);
        for (int i = 0; i < order.Length; i++) Assert.Equal(scores[order[i]], permuted[i], 5);

        var assembled = InContextRanker.Load(ModelDir, new InContextRankerOptions { Layer = 1, Precision = KvPrecision.Float32, Positions = PassagePositions.Assembled },
            new PassageKvStore(new PassageKvStoreOptions()));
        double[] a = assembled.Score("refund after termination", Passages), b = assembled.Score("refund after termination", shuffled);
        Assert.Contains(Enumerable.Range(0, order.Length), i => Math.Abs(a[order[i]] - b[i]) > 1e-4);
        // The same cached passages serve both layouts: only where the query sees them differs.
        Assert.Equal(Passages.Length, (int)assembled.Store.Stats().Misses);
    }

    [Fact]
    public void Bad_keys_and_layers_are_refused()
    {
        var store = new PassageKvStore(new PassageKvStoreOptions());
        Assert.Throws<ArgumentException>(() => store.TryGet("../../etc/passwd", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => InContextRanker.Load(ModelDir, new InContextRankerOptions { Layer = 2 }, store));
        Assert.Throws<ArgumentOutOfRangeException>(() => InContextRanker.Load(ModelDir, new InContextRankerOptions { Layer = 1, QueryPosition = 100 }, store));
    }

    private static int[] Order(double[] scores) => [.. Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i])];
}
