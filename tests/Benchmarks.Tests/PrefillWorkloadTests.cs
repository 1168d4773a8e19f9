using Search.GpuAttention.Caching;
using Search.Benchmarks.Workloads;
using Xunit.Abstractions;

namespace Search.Benchmarks.Tests;

/// <summary>The prefill benchmark compares times only if its two paths compute the same thing: same masses at every layer.</summary>
public class PrefillWorkloadTests(ITestOutputHelper output)
{
    private static readonly Lazy<Search.Models.Llama.LlamaDecoder> Model = new(() =>
        RandomDecoder.Create(RandomDecoder.Config(layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, vocab: 100), seed: 7));

    [Fact]
    public void Query_against_documents_cached_at_their_offsets_gives_the_one_pass_masses()
    {
        var workload = new PrefillWorkload(Model.Value, documents: 5, instructionTokens: 8, documentTokens: 16, queryTokens: 8, seed: 3);
        var full = workload.Full();
        var cached = workload.Cached();
        Assert.Equal([0, 1], full.Keys.Order());
        Assert.Equal(7, cached[workload.MassLayer].Blocks); // instruction, five documents, query
        float difference = PrefillWorkload.MaxDifference(full, cached);
        output.WriteLine($"max abs mass difference {difference:E2}");
        Assert.True(difference < 1e-4f, $"{difference}");
        Assert.True(workload.FullFlops > 5 * workload.CachedFlops);
        // random weights still spread the query's attention: no block holds all of it
        Assert.All(full[workload.MassLayer].TotalPerBlock(), m => Assert.InRange(m, 1e-3, 8 * 4 * 0.99));
    }

    [Fact]
    public void The_agreement_check_sees_documents_encoded_at_other_positions()
    {
        var workload = new PrefillWorkload(Model.Value, documents: 5, instructionTokens: 8, documentTokens: 16, queryTokens: 8, seed: 3);
        var prompt = workload.Prompt;
        var cache = new BlockKvCache();
        Model.Value.EncodeBlock(cache, "instruction", prompt.Instruction, []);
        for (int d = 0; d < 5; d++) Model.Value.EncodeBlock(cache, $"doc{d}", prompt.Documents[d], ["instruction"]);
        var reusable = Model.Value.QueryCached(cache, ["instruction", "doc0", "doc1", "doc2", "doc3", "doc4"], prompt.Query, [0, 1]).Masses;
        float difference = PrefillWorkload.MaxDifference(workload.Full(), reusable);
        output.WriteLine($"max abs mass difference, documents encoded right after the instruction {difference:E2}");
        Assert.True(difference > 1e-3f, $"{difference}");
    }

    [Fact]
    public void A_block_cannot_be_encoded_before_its_context()
    {
        var cache = new BlockKvCache();
        Model.Value.EncodeBlock(cache, "instruction", [1, 2, 3, 4], []);
        Assert.Throws<ArgumentOutOfRangeException>(() => Model.Value.EncodeBlock(cache, "doc", [5, 6], ["instruction"], position: 3));
    }
}
