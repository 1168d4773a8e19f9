using System.Text.Json;
using Search.GpuAttention.Caching;
using Search.Models.Configuration;
using Search.Models.Llama;
using Search.Models.Tensors;
using Xunit.Abstractions;

namespace Search.Models.Tests;

public class LlamaDecoderTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;
    private static readonly Lazy<LlamaDecoder> Model = new(LoadDecoder);

    internal static LlamaDecoder LoadDecoder()
    {
        ModelConfig config = ModelConfig.Load(Path.Combine(FixtureData.LlamaDirectory, "config.json"));
        using ModelWeights weights = ModelWeights.Open(FixtureData.LlamaDirectory);
        return new LlamaDecoder(config, LlamaWeights.Load(weights, config));
    }

    internal static BlockRankPrompt Prompt()
    {
        JsonElement b = FixtureData.Tokens.GetProperty("blockrank");
        return new BlockRankPrompt(FixtureData.Ints(b.GetProperty("instruction")), FixtureData.IntLists(b.GetProperty("docs")),
            FixtureData.Ints(b.GetProperty("query")));
    }

    internal static int[] MassLayers => FixtureData.Ints(FixtureData.Tokens.GetProperty("blockrank").GetProperty("mass_layers"));

    /// <summary>The output's masses to documents as [layers][query rows][documents], the reference's layout.</summary>
    internal static float[] DocumentMasses(BlockRankOutput result, int documents)
    {
        var list = new List<float>();
        foreach (int layer in MassLayers)
            for (int r = 0; r < result.QueryHidden.Tokens; r++)
                for (int d = 0; d < documents; d++) list.Add(result.DocumentMass(layer, r, d));
        return [.. list];
    }

    private void AssertClose(string reference, ReadOnlySpan<float> actual)
    {
        float error = FixtureData.MaxAbsDiff(FixtureData.Reference(reference), actual);
        output.WriteLine($"{reference} max abs error {error:E2}");
        Assert.True(error < Tolerance, $"{reference}: max abs error {error}");
    }

    [Fact]
    public void Causal_prefill_hidden_states_match_PyTorch()
    {
        int[] tokens = FixtureData.Ints(FixtureData.Tokens.GetProperty("llama_prefill"));
        AssertClose("llama.prefill", Model.Value.Prefill(tokens).Hidden);
    }

    [Fact]
    public void BlockRank_prefill_matches_query_states_and_per_block_masses()
    {
        BlockRankPrompt prompt = Prompt();
        BlockRankOutput result = Model.Value.PrefillBlockRank(prompt, MassLayers);
        AssertClose("blockrank.query_hidden", result.QueryHidden.Hidden);
        AssertClose("blockrank.masses", DocumentMasses(result, prompt.Documents.Count));
        // per row the instruction, documents and query share each head's whole mass
        foreach (int layer in MassLayers)
            Assert.Equal(4.0, result.Masses[layer].Summed(0, 0) + Enumerable.Range(1, prompt.Documents.Count + 1).Sum(b => result.Masses[layer].Summed(0, b)), 4);
    }

    [Fact]
    public void Reused_document_caches_reencoded_to_assembled_offsets_match_the_full_recomputation()
    {
        BlockRankPrompt prompt = Prompt();
        var cache = new BlockKvCache();
        Model.Value.EncodeBlock(cache, "instruction", prompt.Instruction, []);
        for (int d = 0; d < prompt.Documents.Count; d++)
        {
            // each document is encoded once, as if it stood right after the instruction
            DecoderOutput alone = Model.Value.EncodeBlock(cache, $"doc{d}", prompt.Documents[d], ["instruction"]);
            AssertClose($"kvreuse.doc{d}_alone_hidden", alone.Hidden);
        }
        string[] context = ["instruction", .. Enumerable.Range(0, prompt.Documents.Count).Select(d => $"doc{d}")];
        BlockRankOutput result = Model.Value.QueryCached(cache, context, prompt.Query, MassLayers);
        AssertClose("kvreuse.query_hidden", result.QueryHidden.Hidden);
        AssertClose("kvreuse.masses", DocumentMasses(result, prompt.Documents.Count));
    }

    [Fact]
    public void Cached_keys_moved_for_good_give_the_same_query_as_rotating_on_the_fly()
    {
        BlockRankPrompt prompt = Prompt();
        var cache = new BlockKvCache();
        Model.Value.EncodeBlock(cache, "instruction", prompt.Instruction, []);
        for (int d = 0; d < prompt.Documents.Count; d++) Model.Value.EncodeBlock(cache, $"doc{d}", prompt.Documents[d], ["instruction"]);
        string[] context = ["instruction", .. Enumerable.Range(0, prompt.Documents.Count).Select(d => $"doc{d}")];
        BlockRankOutput onTheFly = Model.Value.QueryCached(cache, context, prompt.Query, MassLayers);

        int offset = prompt.Instruction.Length;
        for (int d = 0; d < prompt.Documents.Count; d++)
        {
            for (int layer = 0; layer < Model.Value.Config.NumHiddenLayers; layer++) cache.ReEncode($"doc{d}", layer, offset, Model.Value.Rope);
            offset += prompt.Documents[d].Length;
        }
        BlockRankOutput moved = Model.Value.QueryCached(cache, context, prompt.Query, MassLayers);
        Assert.True(FixtureData.MaxAbsDiff(onTheFly.QueryHidden.Hidden, moved.QueryHidden.Hidden) < 1e-5f);
        Assert.True(FixtureData.MaxAbsDiff(DocumentMasses(onTheFly, 4), DocumentMasses(moved, 4)) < 1e-5f);
    }

    [Fact]
    public void A_reordered_assembly_from_the_same_cache_equals_encoding_that_order_afresh()
    {
        BlockRankPrompt prompt = Prompt();
        int[] order = [3, 1, 0, 2];
        var shared = new BlockKvCache();
        Model.Value.EncodeBlock(shared, "instruction", prompt.Instruction, []);
        for (int d = 0; d < 4; d++) Model.Value.EncodeBlock(shared, $"doc{d}", prompt.Documents[d], ["instruction"]);
        string[] context = ["instruction", .. order.Select(d => $"doc{d}")];
        BlockRankOutput reused = Model.Value.QueryCached(shared, context, prompt.Query, MassLayers);

        var fresh = new BlockKvCache();
        Model.Value.EncodeBlock(fresh, "instruction", prompt.Instruction, []);
        foreach (int d in order) Model.Value.EncodeBlock(fresh, $"doc{d}", prompt.Documents[d], ["instruction"]);
        BlockRankOutput recomputed = Model.Value.QueryCached(fresh, context, prompt.Query, MassLayers);
        Assert.Equal(recomputed.QueryHidden.Hidden, reused.QueryHidden.Hidden);
        // moving a document moves its mass column with it
        Assert.True(Math.Abs(reused.DocumentMass(1, 0, 0) - recomputed.DocumentMass(1, 0, 0)) < 1e-6f);
    }

    [Fact]
    public void The_first_document_block_is_the_same_in_both_position_schemes()
    {
        // doc 0 sits right after the instruction in the assembled prompt too, so its cache equals the one-pass prefill's
        BlockRankPrompt prompt = Prompt();
        var cache = new BlockKvCache();
        Model.Value.EncodeBlock(cache, "instruction", prompt.Instruction, []);
        DecoderOutput doc0 = Model.Value.EncodeBlock(cache, "doc0", prompt.Documents[0], ["instruction"]);
        DecoderOutput full = Model.Value.Prefill([.. prompt.Instruction, .. prompt.Documents[0]]);
        Assert.True(FixtureData.MaxAbsDiff(full.Hidden.AsSpan(prompt.Instruction.Length * full.HiddenSize), doc0.Hidden) < 1e-5f);
    }
}
