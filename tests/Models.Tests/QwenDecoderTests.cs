using Search.GpuAttention;
using Search.GpuAttention.Caching;
using Search.Models.Llama;
using Xunit.Abstractions;

namespace Search.Models.Tests;

public class QwenDecoderTests(ITestOutputHelper output)
{
    private static string QwenDirectory => Path.Combine(FixtureData.Root, "tiny-qwen3");

    [Fact]
    public void Qwen3_layout_with_biases_qk_norms_wide_heads_and_tied_embeddings_matches_PyTorch()
    {
        TextDecoder model = ModelDirectory.LoadDecoder(QwenDirectory);
        Assert.Equal(16, model.Decoder.Config.HeadDim);
        int[] tokens = FixtureData.Ints(FixtureData.Tokens.GetProperty("llama_prefill"));
        DecoderOutput result = model.Decoder.Prefill(tokens);
        float hiddenError = FixtureData.MaxAbsDiff(FixtureData.Reference("qwen3.prefill"), result.Hidden);
        float logitError = FixtureData.MaxAbsDiff(FixtureData.Reference("qwen3.last_logits"), model.Decoder.Logits(result.State(tokens.Length - 1)));
        output.WriteLine($"qwen3.prefill max abs error {hiddenError:E2}, qwen3.last_logits {logitError:E2}");
        Assert.True(hiddenError < 1e-4f, $"hidden {hiddenError}");
        Assert.True(logitError < 1e-4f, $"logits {logitError}");
    }

    [Theory]
    [InlineData(KvPrecision.Float16, 2e-2f)]
    [InlineData(KvPrecision.BFloat16, 1.5e-1f)]
    public void Half_precision_key_value_caches_stay_close_to_the_fp32_reference(KvPrecision precision, float tolerance)
    {
        TextDecoder model = ModelDirectory.LoadDecoder(FixtureData.LlamaDirectory, cachePrecision: precision);
        BlockRankPrompt prompt = LlamaDecoderTests.Prompt();
        var cache = new BlockKvCache();
        model.Decoder.EncodeBlock(cache, "instruction", prompt.Instruction, []);
        for (int d = 0; d < prompt.Documents.Count; d++) model.Decoder.EncodeBlock(cache, $"doc{d}", prompt.Documents[d], ["instruction"]);
        string[] context = ["instruction", .. Enumerable.Range(0, prompt.Documents.Count).Select(d => $"doc{d}")];
        BlockRankOutput result = model.Decoder.QueryCached(cache, context, prompt.Query, LlamaDecoderTests.MassLayers);
        Assert.Equal(precision, cache.Get("doc0", 0).Keys.Precision);
        float error = FixtureData.MaxAbsDiff(FixtureData.Reference("kvreuse.masses"), LlamaDecoderTests.DocumentMasses(result, prompt.Documents.Count));
        output.WriteLine($"{precision} cache: kvreuse.masses max abs error {error:E2}");
        Assert.True(error < tolerance, $"{error}");
    }

    [Fact]
    public void Unsupported_decoder_configurations_are_refused_by_name()
    {
        var config = Search.Models.Configuration.ModelConfig.Load(Path.Combine(FixtureData.LlamaDirectory, "config.json"));
        using var weights = Search.Models.Tensors.ModelWeights.Open(FixtureData.LlamaDirectory);
        LlamaWeights w = LlamaWeights.Load(weights, config);
        var scaled = config with { RopeScaling = System.Text.Json.JsonDocument.Parse("""{"rope_type": "llama3", "factor": 8.0}""").RootElement };
        Assert.Contains("rope_scaling", Assert.Throws<NotSupportedException>(() => new LlamaDecoder(scaled, w)).Message);
        Assert.Contains("gemma", Assert.Throws<NotSupportedException>(() => new LlamaDecoder(config with { ModelType = "gemma" }, w)).Message);
    }
}
