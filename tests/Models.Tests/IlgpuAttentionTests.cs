using Search.GpuAttention.Caching;
using Search.GpuAttention.Ilgpu;
using Search.Models.Llama;
using Xunit.Abstractions;

namespace Search.Models.Tests;

/// <summary>
/// The decoder with its attention on the ILGPU kernel (run by ILGPU's CPU accelerator): hidden states and BlockRank
/// masses, one-pass and from cached blocks, must still be PyTorch's.
/// </summary>
public sealed class IlgpuAttentionTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly IlgpuAttentionBackend _device = IlgpuAttentionBackend.CreateCpuSimulator();

    public void Dispose() => _device.Dispose();

    private void AssertClose(string reference, ReadOnlySpan<float> actual)
    {
        float error = FixtureData.MaxAbsDiff(FixtureData.Reference(reference), actual);
        output.WriteLine($"{reference} through {_device.Name}: max abs error {error:E2}");
        Assert.True(error < Tolerance, $"{reference}: max abs error {error}");
    }

    [Fact]
    public void Causal_prefill_through_the_device_kernel_matches_PyTorch()
    {
        TextDecoder model = ModelDirectory.LoadDecoder(FixtureData.LlamaDirectory, _device);
        AssertClose("llama.prefill", model.Decoder.Prefill(FixtureData.Ints(FixtureData.Tokens.GetProperty("llama_prefill"))).Hidden);
    }

    [Fact]
    public void BlockRank_masses_through_the_device_kernel_match_PyTorch_one_pass_and_cached()
    {
        TextDecoder model = ModelDirectory.LoadDecoder(FixtureData.LlamaDirectory, _device);
        BlockRankPrompt prompt = LlamaDecoderTests.Prompt();
        BlockRankOutput onePass = model.Decoder.PrefillBlockRank(prompt, LlamaDecoderTests.MassLayers);
        AssertClose("blockrank.masses", LlamaDecoderTests.DocumentMasses(onePass, prompt.Documents.Count));

        var cache = new BlockKvCache();
        model.Decoder.EncodeBlock(cache, "instruction", prompt.Instruction, []);
        for (int d = 0; d < prompt.Documents.Count; d++) model.Decoder.EncodeBlock(cache, $"doc{d}", prompt.Documents[d], ["instruction"]);
        string[] context = ["instruction", .. Enumerable.Range(0, prompt.Documents.Count).Select(d => $"doc{d}")];
        BlockRankOutput cached = model.Decoder.QueryCached(cache, context, prompt.Query, LlamaDecoderTests.MassLayers);
        AssertClose("kvreuse.masses", LlamaDecoderTests.DocumentMasses(cached, prompt.Documents.Count));
    }
}
