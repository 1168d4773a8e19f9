using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.Cuda;
using Search.Benchmarks.Workloads;
using Search.GpuAttention;
using Search.GpuAttention.Caching;
using Search.GpuAttention.Ilgpu;
using Search.Models.Ilgpu;
using Search.Models.Llama;
using Xunit.Abstractions;

namespace Search.Models.Tests;

/// <summary>
/// A decoder's layers on the device, attention included (ILGPU's CPU accelerator here): the hidden states must still be PyTorch's
/// for the Llama and Qwen3 fixtures (biases, per-head norms, tied embeddings), and the CPU decoder's — hidden states,
/// BlockRank masses, cached blocks — on a random shape that cuts every tile at an odd place.
/// </summary>
public sealed class DeviceDecoderLayersTests : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly ITestOutputHelper _output;
    private readonly IlgpuDevice _device = IlgpuDevice.OpenSimulator(256);
    private readonly IlgpuAttentionBackend _attention;

    public DeviceDecoderLayersTests(ITestOutputHelper output)
    {
        _output = output;
        _attention = new IlgpuAttentionBackend(_device.Accelerator);
    }

    public void Dispose()
    {
        _attention.Dispose();
        _device.Dispose();
    }

    private Func<Configuration.ModelConfig, LlamaWeights, IDecoderLayers> OnDevice => (config, weights) => new DeviceDecoderLayers(_attention, config, weights);

    [Theory]
    [InlineData("tiny-llama", "llama.prefill")]
    [InlineData("tiny-qwen3", "qwen3.prefill")]
    public void Prefill_with_the_dense_layers_on_the_device_matches_PyTorch(string directory, string reference)
    {
        TextDecoder model = ModelDirectory.LoadDecoder(Path.Combine(FixtureData.Root, directory), layers: OnDevice);
        Assert.Equal("ilgpu-cpu", model.Decoder.Layers);
        float error = FixtureData.MaxAbsDiff(FixtureData.Reference(reference), model.Decoder.Prefill(FixtureData.Ints(FixtureData.Tokens.GetProperty("llama_prefill"))).Hidden);
        _output.WriteLine($"{reference} with device layers: max abs error {error:E2}");
        Assert.True(error < Tolerance, $"max abs error {error}");
    }

    [Fact]
    public void A_random_odd_shape_matches_the_cpu_decoder_in_every_pass()
    {
        // hidden 72 and FFN 100 end inside the 64-wide product tiles; 3 heads of 24 share one key/value head.
        var config = RandomDecoder.Config(layers: 2, hidden: 72, heads: 3, kvHeads: 1, intermediate: 100, vocab: 300);
        using var cpu = RandomDecoder.Create(config, seed: 5);
        using var device = RandomDecoder.Create(config, seed: 5, denseLayers: OnDevice);
        var random = new Random(3);
        int[] tokens = [.. Enumerable.Range(0, 70).Select(_ => random.Next(300))];
        float prefill = FixtureData.MaxAbsDiff(cpu.Prefill(tokens).Hidden, device.Prefill(tokens).Hidden);

        var prompt = new BlockRankPrompt([.. tokens[..9]], [tokens[9..40], tokens[40..41], tokens[41..65]], [.. tokens[65..]]);
        BlockMasses expected = cpu.ScoreBlockRank(prompt, 1), actual = device.ScoreBlockRank(prompt, 1);
        float masses = FixtureData.MaxAbsDiff(Masses(expected, 3), Masses(actual, 3));

        BlockKvCache cpuCache = new(), deviceCache = new();
        cpu.CacheBlockForScoring(cpuCache, "instruction", prompt.Instruction, [], 1);
        device.CacheBlockForScoring(deviceCache, "instruction", prompt.Instruction, [], 1);
        for (int d = 0; d < prompt.Documents.Count; d++)
        {
            cpu.CacheBlockForScoring(cpuCache, $"doc{d}", prompt.Documents[d], ["instruction"], 1);
            device.CacheBlockForScoring(deviceCache, $"doc{d}", prompt.Documents[d], ["instruction"], 1);
        }
        string[] context = ["instruction", "doc0", "doc1", "doc2"];
        float cached = FixtureData.MaxAbsDiff(Masses(cpu.ScoreCached(cpuCache, context, prompt.Query, 1), 4), Masses(device.ScoreCached(deviceCache, context, prompt.Query, 1), 4));
        float keys = FixtureData.MaxAbsDiff(cpuCache.Get("doc2", 1).Keys.ToSingle(), deviceCache.Get("doc2", 1).Keys.ToSingle());
        _output.WriteLine($"prefill {prefill:E2}, block-sparse masses {masses:E2}, cached masses {cached:E2}, cached keys {keys:E2}");
        // Every key and value was made on the device and stayed there for attention: nothing went back up.
        Assert.Equal(0, _attention.Residency.Uploads);
        Assert.True(_attention.Residency.Hits > 0);
        Assert.True(prefill < Tolerance, $"prefill {prefill}");
        Assert.True(masses < Tolerance, $"masses {masses}");
        Assert.True(cached < Tolerance, $"cached masses {cached}");
        Assert.True(keys < Tolerance, $"cached keys {keys}");
    }

    [Fact]
    public void Qwen3_blocks_cached_in_fp16_and_queried_on_the_device_match_the_cpu_decoder()
    {
        // Per-head query/key norms, RoPE at positions past 0, attention outputs that stay on the device between layers,
        // and fp16 passage states rounded there.
        string directory = Path.Combine(FixtureData.Root, "tiny-qwen3");
        LlamaDecoder cpu = ModelDirectory.LoadDecoder(directory, cachePrecision: KvPrecision.Float16).Decoder;
        using LlamaDecoder device = ModelDirectory.LoadDecoder(directory, _attention, KvPrecision.Float16, OnDevice).Decoder;
        var random = new Random(11);
        int[] Tokens(int n) => [.. Enumerable.Range(0, n).Select(_ => random.Next(cpu.Config.VocabSize))];
        int[] instruction = Tokens(6), query = Tokens(5);
        int[][] documents = [Tokens(13), Tokens(1), Tokens(30)];
        BlockKvCache cpuCache = new(), deviceCache = new();
        float states = FixtureData.MaxAbsDiff(cpu.EncodeBlock(cpuCache, "instruction", instruction, []).Hidden,
            device.EncodeBlock(deviceCache, "instruction", instruction, []).Hidden);
        for (int d = 0; d < documents.Length; d++)
            states = Math.Max(states, FixtureData.MaxAbsDiff(cpu.EncodeBlock(cpuCache, $"doc{d}", documents[d], ["instruction"]).Hidden,
                device.EncodeBlock(deviceCache, $"doc{d}", documents[d], ["instruction"]).Hidden));
        string[] context = ["instruction", "doc2", "doc0", "doc1"];
        int[] layers = [.. Enumerable.Range(0, cpu.Config.NumHiddenLayers)];
        BlockRankOutput expected = cpu.QueryCached(cpuCache, context, query, layers), actual = device.QueryCached(deviceCache, context, query, layers);
        states = Math.Max(states, FixtureData.MaxAbsDiff(expected.QueryHidden.Hidden, actual.QueryHidden.Hidden));
        float masses = 0f;
        foreach (int layer in layers) masses = Math.Max(masses, FixtureData.MaxAbsDiff(Masses(expected.Masses[layer], 5), Masses(actual.Masses[layer], 5)));
        _output.WriteLine($"qwen3 cached blocks: hidden states {states:E2}, masses {masses:E2}");
        // The two sides' fp32 keys differ in the last bits, so an element near a rounding tie can land one fp16 step
        // (about 1e-3 of its size) apart; the states carry that, the masses hardly.
        Assert.True(states < 1e-3f, $"hidden states {states}");
        Assert.True(masses < Tolerance, $"masses {masses}");
    }

    [Fact]
    public void Device_layers_refuse_an_attention_backend_other_than_their_own()
    {
        // The queries and the attention output stay on the layers' device, so attention can only run there.
        string directory = Path.Combine(FixtureData.Root, "tiny-llama");
        var error = Assert.Throws<ArgumentException>(() => ModelDirectory.LoadDecoder(directory, new CpuAttentionBackend(), layers: OnDevice));
        Assert.Contains("own backend", error.Message, StringComparison.Ordinal);
        using LlamaDecoder device = ModelDirectory.LoadDecoder(directory, layers: OnDevice).Decoder;
        Assert.Same(_attention, device.Attention);
    }

    [Fact]
    public void The_decoder_kernels_compile_to_ptx_for_hopper()
    {
        using var context = Context.Create(builder => builder.Cuda().Math(MathMode.Fast32BitOnly));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_83, null);
        var kernels = typeof(DeviceDecoderLayers).Assembly.GetType("Search.Models.Ilgpu.DecoderKernels")!;
        var norm = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernels.GetMethod("AddRmsNorm")!), default);
        Assert.Contains("bar.sync", norm.PTXAssembly);
        foreach (string name in new[] { "Gather", "PrepareHeads", "SiluGate" })
            Assert.Contains(".target sm_80", ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(kernels.GetMethod(name)!), default)).PTXAssembly);
    }

    // The query rows' summed mass on each block.
    private static float[] Masses(BlockMasses masses, int blocks) => [.. masses.TotalPerBlock().Take(blocks).Select(v => (float)v)];
}
