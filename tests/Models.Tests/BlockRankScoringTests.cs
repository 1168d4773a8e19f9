using Search.GpuAttention;
using Search.GpuAttention.Caching;
using Search.Models.Llama;
using Xunit.Abstractions;

namespace Search.Models.Tests;

/// <summary>Scoring stops at the mass layer and skips P·V there; the masses must be those of the full passes.</summary>
public class BlockRankScoringTests(ITestOutputHelper output)
{
    private static readonly Lazy<LlamaDecoder> Model = new(LlamaDecoderTests.LoadDecoder);

    private static float[] ReferenceLayer(string name, int layerIndex, int rows, int documents) =>
        FixtureData.Reference(name).AsSpan(layerIndex * rows * documents, rows * documents).ToArray();

    private static float[] DocumentColumns(BlockMasses masses, int documents)
    {
        var list = new List<float>();
        for (int r = 0; r < masses.Rows.Count; r++)
            for (int d = 0; d < documents; d++) list.Add(masses.Summed(r, d + 1));
        return [.. list];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void One_pass_scoring_stopping_at_a_layer_gives_the_reference_masses(int layerIndex)
    {
        BlockRankPrompt prompt = LlamaDecoderTests.Prompt();
        int layer = LlamaDecoderTests.MassLayers[layerIndex];
        BlockMasses masses = Model.Value.ScoreBlockRank(prompt, layer);
        float error = FixtureData.MaxAbsDiff(ReferenceLayer("blockrank.masses", layerIndex, prompt.Query.Length, 4), DocumentColumns(masses, 4));
        output.WriteLine($"blockrank.masses layer {layer} (scoring) max abs error {error:E2}");
        Assert.True(error < 1e-4f, $"{error}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Cached_scoring_with_blocks_encoded_only_through_the_scoring_layer_gives_the_reference_masses(int layerIndex)
    {
        BlockRankPrompt prompt = LlamaDecoderTests.Prompt();
        int layer = LlamaDecoderTests.MassLayers[layerIndex];
        var cache = new BlockKvCache();
        Model.Value.CacheBlockForScoring(cache, "instruction", prompt.Instruction, [], layer);
        for (int d = 0; d < 4; d++) Model.Value.CacheBlockForScoring(cache, $"doc{d}", prompt.Documents[d], ["instruction"], layer);
        Assert.False(cache.TryGet("doc0", layer + 1, out _));
        string[] context = ["instruction", "doc0", "doc1", "doc2", "doc3"];
        BlockMasses masses = Model.Value.ScoreCached(cache, context, prompt.Query, layer);
        float error = FixtureData.MaxAbsDiff(ReferenceLayer("kvreuse.masses", layerIndex, prompt.Query.Length, 4), DocumentColumns(masses, 4));
        output.WriteLine($"kvreuse.masses layer {layer} (scoring) max abs error {error:E2}");
        Assert.True(error < 1e-4f, $"{error}");
        double[] scores = new BlockRankOutput(new DecoderOutput([], 0, 0), new Dictionary<int, BlockMasses> { [layer] = masses }).DocumentScores(layer);
        Assert.Equal(4, scores.Length);
    }

    [Fact]
    public void Scoring_rejects_a_layer_the_model_does_not_have() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Model.Value.ScoreBlockRank(LlamaDecoderTests.Prompt(), 2));
}
