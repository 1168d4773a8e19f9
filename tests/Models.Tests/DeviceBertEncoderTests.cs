using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.Cuda;
using Search.Benchmarks.Workloads;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;
using Search.Models.Bert;
using Search.Models.Configuration;
using Search.Models.Ilgpu;
using Search.Models.Tensors;
using Xunit.Abstractions;

namespace Search.Models.Tests;

/// <summary>
/// The whole encoder pass on the device (run by ILGPU's CPU accelerator, as CI has no GPU): its hidden states must be
/// PyTorch's on the fixture and the CPU pass's on random shapes that cut every tile at an odd place.
/// </summary>
public sealed class DeviceBertEncoderTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    private static IlgpuDevice Simulator() => IlgpuDevice.OpenSimulator(256);

    [Fact]
    public void The_fixture_batch_on_the_device_matches_PyTorch()
    {
        ModelConfig config = ModelConfig.Load(Path.Combine(FixtureData.BertDirectory, "config.json"));
        using ModelWeights weights = ModelWeights.Open(FixtureData.BertDirectory);
        using var encoder = new DeviceBertEncoder(Simulator(), config, BertWeights.Load(weights, config));
        int[][] all = FixtureData.IntLists(FixtureData.Tokens.GetProperty("bert"));
        int[] batch = FixtureData.Ints(FixtureData.Tokens.GetProperty("bert_batch"));
        BertOutput result = encoder.Encode([.. batch.Select(i => all[i])]);
        Assert.Equal([result.Batch, result.MaxTokens, result.HiddenSize], FixtureData.ReferenceShape("bert.hidden"));
        float error = FixtureData.MaxAbsDiff(FixtureData.Reference("bert.hidden"), result.Hidden);
        output.WriteLine($"{encoder.Runtime}: bert hidden max abs error {error:E2}");
        Assert.True(error < Tolerance, $"max abs error {error}");
        float pooled = FixtureData.MaxAbsDiff(FixtureData.Reference("bert.mean"), [.. result.Pool(Pooling.Mean).SelectMany(e => e)]);
        Assert.True(pooled < Tolerance, $"mean pooling max abs error {pooled}");
    }

    // Hidden widths that are not multiples of the 64-wide product tiles or the 4-wide thread blocks, heads of odd
    // sizes, and sequences that end inside query tiles (64) and key tiles (32), one of them a single token.
    [Theory]
    [InlineData(2, 36, 3, 70, new[] { 1, 65, 130 }, 1)]
    [InlineData(1, 45, 5, 97, new[] { 33, 7, 64 }, 2)]
    [InlineData(2, 64, 2, 128, new[] { 96, 2 }, 3)]
    public void Random_shapes_match_the_cpu_pass(int layers, int hidden, int heads, int intermediate, int[] lengths, int seed)
    {
        var config = RandomEncoder.Config(layers, hidden, heads, intermediate, vocab: 97, maxPositions: 160);
        var weights = SeededBertWeights.Create(config, seed);
        int[][] sequences = RandomEncoder.Sequences(lengths, config.VocabSize, seed);
        using var device = new DeviceBertEncoder(Simulator(), config, weights);
        BertOutput expected = new BertEncoder(config, weights, new CpuAttentionBackend(1)).Encode(sequences);
        BertOutput actual = device.Encode(sequences);
        Assert.Equal(expected.Lengths, actual.Lengths);
        Assert.Equal(expected.MaxTokens, actual.MaxTokens);
        float error = FixtureData.MaxAbsDiff(expected.Hidden, actual.Hidden);
        output.WriteLine($"hidden {hidden}, heads {heads}, lengths [{string.Join(",", lengths)}]: max abs difference {error:E2}");
        Assert.True(error < Tolerance, $"max abs difference {error}");
    }

    [Fact]
    public void Batches_reuse_the_device_buffers_and_an_empty_batch_or_sequence_costs_nothing()
    {
        var config = RandomEncoder.Config(1, 32, 4, 64, vocab: 50, maxPositions: 80);
        var weights = SeededBertWeights.Create(config);
        using var device = new DeviceBertEncoder(Simulator(), config, weights);
        var cpu = new BertEncoder(config, weights);
        int[][] large = RandomEncoder.Sequences([70, 40], config.VocabSize), small = RandomEncoder.Sequences([3, 0, 5], config.VocabSize, seed: 9);
        device.Encode(large);
        // A smaller batch after a larger one reads only its own rows of the (larger) buffers.
        Assert.True(FixtureData.MaxAbsDiff(cpu.Encode(small).Hidden, device.Encode(small).Hidden) < Tolerance);
        Assert.Empty(device.Encode([]).Hidden);
        BertOutput empty = device.Encode([[]]);
        Assert.Equal(0, empty.MaxTokens);
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_and_sequences_past_the_positions_are_refused_before_the_device_reads_them()
    {
        var config = RandomEncoder.Config(1, 32, 4, 64, vocab: 50, maxPositions: 16);
        using var device = new DeviceBertEncoder(Simulator(), config, SeededBertWeights.Create(config));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Encode([[1, 50]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Encode([[1, -3]]));
        Assert.Throws<ArgumentException>(() => device.Encode([new int[17]]));
    }

    [Fact]
    public void The_start_check_passes_a_device_that_runs_the_passes_and_says_why_another_cannot()
    {
        using var able = Simulator();
        Assert.Null(DevicePassCheck.Run(able.Accelerator));
        // Groups of 64 threads cannot hold the matrix product's 256.
        using var small = IlgpuDevice.OpenSimulator(64);
        Assert.Contains("needs 256", DevicePassCheck.Run(small.Accelerator));
    }

    [Fact]
    public void The_encoder_kernels_compile_to_ptx_for_hopper()
    {
        // No GPU is needed to generate PTX, so CI catches a construct the CUDA backend cannot translate.
        using var context = Context.Create(builder => builder.Cuda().Math(MathMode.Fast32BitOnly));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_83, null);
        var kernels = typeof(DeviceBertEncoder).Assembly.GetType("Search.Models.Ilgpu.EncoderKernels")!;
        var matMul = typeof(DeviceBertEncoder).Assembly.GetType("Search.Models.Ilgpu.MatMulKernel")!;
        foreach (var method in new[] { matMul.GetMethod("Gemm")!, kernels.GetMethod("AddLayerNorm")!, kernels.GetMethod("Attention")! })
        {
            var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), default);
            Assert.Contains(".target sm_80", compiled.PTXAssembly);
            Assert.Contains("bar.sync", compiled.PTXAssembly);
        }
        var embed = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(kernels.GetMethod("Embed")!), default);
        Assert.Contains(".target sm_80", embed.PTXAssembly);
    }
}
