using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.Cuda;
using Search.GpuAttention.Caching;
using Search.GpuAttention.Ilgpu;

namespace Search.GpuAttention.Tests;

/// <summary>
/// The device kernel, run on ILGPU's CPU accelerator (groups, shared memory and barriers simulated on threads), against
/// the SIMD backend on random shapes: odd sizes, empty blocks, grouped-query heads, fp16/bf16 storage, RoPE re-encoding;
/// each once as a GPU would plan it and once with every row tile's keys split over several groups and combined.
/// </summary>
public sealed class IlgpuBackendTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly IlgpuAttentionBackend _device = IlgpuAttentionBackend.CreateCpuSimulator();
    private readonly IlgpuAttentionBackend _splitting = IlgpuAttentionBackend.CreateCpuSimulator(IlgpuAttentionBackend.DefaultResidentBudgetBytes, new AttentionSplitPolicy(TargetGroups: 4096, MinKeys: 32));
    private readonly CpuAttentionBackend _cpu = new(1);

    public void Dispose()
    {
        _device.Dispose();
        _splitting.Dispose();
    }

    private IlgpuAttentionBackend[] Devices => [_device, _splitting];

    private static AttentionInput Problem(Random random, int heads, int kvHeads, int tokens, int d, int queryStart, KvPrecision precision) =>
        new(Tensors.Random(random, heads * (tokens - queryStart) * d), heads, tokens - queryStart, queryStart,
            KvTensor.FromSingle(Tensors.Random(random, kvHeads * tokens * d), kvHeads, tokens, d, precision),
            KvTensor.FromSingle(Tensors.Random(random, kvHeads * tokens * d), kvHeads, tokens, d, precision));

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    private static void AssertMassesClose(BlockMasses expected, BlockMasses actual)
    {
        Assert.Equal(expected.Blocks, actual.Blocks);
        Assert.Equal(expected.Rows, actual.Rows);
        for (int h = 0; h < expected.Heads; h++)
            for (int r = 0; r < expected.Rows.Count; r++)
                for (int b = 0; b < expected.Blocks; b++)
                    Assert.True(Math.Abs(expected.PerHead(h, r, b) - actual.PerHead(h, r, b)) <= Tolerance,
                        $"head {h} row {r} block {b}: expected {expected.PerHead(h, r, b)}, got {actual.PerHead(h, r, b)}");
    }

    [Theory]
    [InlineData(2, 1, 7, 5, 0, true, KvPrecision.Float32, 1)]
    [InlineData(4, 2, 64, 131, 0, true, KvPrecision.Float32, 2)]
    [InlineData(3, 3, 33, 70, 40, false, KvPrecision.Float16, 3)]
    [InlineData(2, 2, 128, 65, 1, true, KvPrecision.BFloat16, 4)]
    [InlineData(4, 2, 40, 77, 3, false, KvPrecision.Int8, 5)]
    public void Dense_attention_matches_the_simd_backend(int heads, int kvHeads, int d, int tokens, int queryStart, bool causal, KvPrecision precision, int seed)
    {
        var input = Problem(new Random(seed), heads, kvHeads, tokens, d, queryStart, precision);
        var expected = new float[input.OutputLength];
        _cpu.Dense(input, causal, expected);
        foreach (var device in Devices)
        {
            var actual = new float[input.OutputLength];
            device.Dense(input, causal, actual);
            AssertClose(expected, actual);
        }
    }

    public static TheoryData<int[], int, int, int, KvPrecision, int> BlockRankShapes => new()
    {
        // block lengths (instruction, docs…, query), heads, kvHeads, headDim, precision, seed
        { new[] { 5, 17, 0, 33, 1, 9 }, 2, 1, 7, KvPrecision.Float32, 1 },
        { new[] { 16, 128, 129, 64, 3 }, 4, 2, 64, KvPrecision.Float32, 2 },
        { new[] { 0, 3, 3, 1 }, 3, 3, 33, KvPrecision.Float16, 3 },
        { new[] { 70, 1, 65, 130, 32 }, 6, 2, 16, KvPrecision.BFloat16, 4 },
        { new[] { 9, 40, 2, 33 }, 4, 1, 48, KvPrecision.Int8, 5 },
    };

    // A BlockRank layout of these block lengths, random operands, the query block's rows, and the SIMD backend's answer.
    private (BlockLayout Layout, AttentionInput Input, RowRange Rows, float[] Output, BlockMasses Masses) BlockRankProblem(
        int[] lengths, int heads, int kvHeads, int d, KvPrecision precision, int seed)
    {
        var layout = BlockLayout.BlockRank(lengths[0], lengths[1..^1], lengths[^1]);
        var input = Problem(new Random(seed), heads, kvHeads, layout.Tokens, d, 0, precision);
        var rows = new RowRange(layout.BlockStart(layout.BlockCount - 1), lengths[^1]);
        var output = new float[input.OutputLength];
        return (layout, input, rows, output, _cpu.BlockSparse(input, layout, output, rows)!);
    }

    [Theory]
    [MemberData(nameof(BlockRankShapes))]
    public void BlockRank_block_sparse_attention_and_masses_match_the_simd_backend(int[] lengths, int heads, int kvHeads, int d, KvPrecision precision, int seed)
    {
        var (layout, input, rows, expected, expectedMasses) = BlockRankProblem(lengths, heads, kvHeads, d, precision, seed);
        foreach (var device in Devices)
        {
            var actual = new float[input.OutputLength];
            var actualMasses = device.BlockSparse(input, layout, actual, rows)!;
            AssertClose(expected, actual);
            AssertMassesClose(expectedMasses, actualMasses);

            // Masses only skips P·V and the blocks without measured rows, and must not change the masses.
            AssertMassesClose(expectedMasses, device.BlockSparse(input, layout, null, rows)!);
        }
    }

    [Fact]
    public void General_block_pair_lists_match_the_simd_backend()
    {
        int[] lengths = [3, 40, 0, 66, 9];
        var pairs = new[] { (0, 0), (1, 0), (1, 1), (1, 3), (3, 1), (3, 3), (4, 0), (4, 2), (4, 4) };
        var layout = BlockLayout.FromPairs(lengths, pairs, causalDiagonal: true);
        var input = Problem(new Random(7), 4, 1, layout.Tokens, 24, 0, KvPrecision.Float32);
        var rows = new RowRange(0, layout.Tokens);
        var expected = new float[input.OutputLength];
        var expectedMasses = _cpu.BlockSparse(input, layout, expected, rows)!;
        foreach (var device in Devices)
        {
            var actual = new float[input.OutputLength];
            var actualMasses = device.BlockSparse(input, layout, actual, rows)!;
            AssertClose(expected, actual);
            AssertMassesClose(expectedMasses, actualMasses);
        }
    }

    [Theory]
    [InlineData(RotaryPairing.RotateHalf, KvPrecision.Float32, 4, 2, 64, 1)]
    [InlineData(RotaryPairing.Interleaved, KvPrecision.Float16, 3, 1, 34, 2)]
    [InlineData(RotaryPairing.RotateHalf, KvPrecision.BFloat16, 2, 2, 16, 3)]
    [InlineData(RotaryPairing.RotateHalf, KvPrecision.Int8, 4, 2, 32, 4)]
    public void Query_against_cached_blocks_re_encodes_positions_like_the_simd_backend(RotaryPairing pairing, KvPrecision precision, int heads, int kvHeads, int d, int seed)
    {
        var random = new Random(seed);
        var rope = new RotaryEmbedding(d, 10_000, pairing);
        var cache = new BlockKvCache();
        var ids = new List<string>();
        int[] lengths = [9, 70, 0, 5, 129];
        for (int b = 0; b < lengths.Length; b++)
        {
            // Each block cached at its own position, as a passage prefilled once right after the instruction.
            var keys = KvTensor.FromSingle(Tensors.Random(random, kvHeads * lengths[b] * d), kvHeads, lengths[b], d, precision);
            var values = KvTensor.FromSingle(Tensors.Random(random, kvHeads * lengths[b] * d), kvHeads, lengths[b], d, precision);
            cache.Put($"block-{b}", 0, keys, values, b == 0 ? 0 : 9 + b);
            ids.Add($"block-{b}");
        }
        var context = new CachedContext(cache, 0, ids, rope);
        const int queryTokens = 13;
        var queryBlock = new AttentionInput(Tensors.Random(random, heads * queryTokens * d), heads, queryTokens, 0,
            KvTensor.FromSingle(Tensors.Random(random, kvHeads * queryTokens * d), kvHeads, queryTokens, d, precision),
            KvTensor.FromSingle(Tensors.Random(random, kvHeads * queryTokens * d), kvHeads, queryTokens, d, precision));
        var rows = new RowRange(0, queryTokens);
        var expected = new float[queryBlock.OutputLength];
        var expectedMasses = _cpu.QueryAgainstCache(context, queryBlock, expected, rows)!;
        foreach (var device in Devices)
        {
            var actual = new float[queryBlock.OutputLength];
            var actualMasses = device.QueryAgainstCache(context, queryBlock, actual, rows)!;
            AssertClose(expected, actual);
            AssertMassesClose(expectedMasses, actualMasses);

            // The second query finds every cached block already on the device.
            var before = device.Residency;
            AssertMassesClose(expectedMasses, device.QueryAgainstCache(context, queryBlock, null, rows)!);
            Assert.Equal(before.Uploads, device.Residency.Uploads);
            Assert.True(device.Residency.Hits > before.Hits);
        }
        // 13 query rows against 226 keys: the splitting backend cut every head's keys into parts (blocks cut across parts too).
        Assert.Equal(heads, _splitting.LastSplitTiles);
        Assert.Equal(0, _device.LastSplitTiles);
    }

    [Theory]
    [MemberData(nameof(BlockRankShapes))]
    public void Queries_and_output_left_on_the_device_give_the_same_attention_token_major(int[] lengths, int heads, int kvHeads, int d, KvPrecision precision, int seed)
    {
        var (layout, input, rows, expected, expectedMasses) = BlockRankProblem(lengths, heads, kvHeads, d, precision, seed);
        // What a decoder's output projection reads: [tokens][heads·headDim].
        var tokenMajor = new float[expected.Length];
        for (int h = 0; h < heads; h++)
            for (int t = 0; t < input.QueryTokens; t++)
                Array.Copy(expected, ((long)h * input.QueryTokens + t) * d, tokenMajor, ((long)t * heads + h) * d, d);
        foreach (var device in Devices)
        {
            var accelerator = device.Accelerator;
            using var queries = accelerator.Allocate1D<float>(Math.Max(1, input.Query.Length));
            using var output = accelerator.Allocate1D<float>(Math.Max(1, input.OutputLength));
            HostCopy.ToDevice(queries.View, input.Query.AsSpan());
            var onDevice = device.OnDeviceOperands(queries.View, output.View);
            // The arrays carry shapes only: the device's queries are the ones read, and the host output is left alone.
            var shape = new float[input.OutputLength];
            var masses = onDevice.BlockSparse(input with { Query = shape }, layout, shape, rows)!;
            AssertMassesClose(expectedMasses, masses);
            Assert.All(shape, v => Assert.Equal(0f, v));
            var actual = new float[input.OutputLength];
            HostCopy.ToHost(output.View, actual.AsSpan());
            AssertClose(tokenMajor, actual);
        }
    }

    [Theory]
    [InlineData(KvPrecision.Float32)]
    [InlineData(KvPrecision.Float16)]
    [InlineData(KvPrecision.BFloat16)]
    public void Keys_made_on_the_device_are_rounded_bit_for_bit_as_the_host_rounds(KvPrecision precision)
    {
        // Ties to even both ways, subnormals and their ties, the edge of fp16's range, infinities, signed zero and NaN,
        // then random values of every scale.
        float[] special =
        [
            0f, -0f, 1f, -1f, 1.00048828125f, 1.00146484375f, 1.00048828125f + 1e-7f, 65504f, 65519.99f, 65520f, -70000f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, 6.1035156e-5f, 6.1e-5f, 5.9604645e-8f, 2.9802322e-8f,
            8.940697e-8f, 2.99e-8f, 1e-10f, -3.0517578e-5f, 1.5e-45f, float.MaxValue, 3.3895314e38f, 1.00390625f, 1.01171875f,
        ];
        var random = new Random(17);
        var data = new float[2 * 64 * 8];
        for (int i = 0; i < data.Length; i++)
            data[i] = i < special.Length ? special[i] : (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-30, 20)));
        var made = TakeFromDevice(data, 2, 64, 8, precision);
        var expected = KvTensor.FromSingle(data, 2, 64, 8, precision);
        if (precision == KvPrecision.Float32) Assert.Equal(expected.SingleStorage, made.SingleStorage);
        else Assert.Equal(expected.BitStorage, made.BitStorage);
    }

    [Theory]
    [InlineData(KvPrecision.Float32, 0)]
    [InlineData(KvPrecision.Float16, 0)]
    [InlineData(KvPrecision.BFloat16, 0)]
    [InlineData(KvPrecision.Int8, 2)]
    public void Keys_and_values_made_on_the_device_are_already_resident_for_attention(KvPrecision precision, int uploads)
    {
        var random = new Random(23);
        int heads = 4, kvHeads = 2, tokens = 37, d = 24;
        var before = _device.Residency;
        var keys = TakeFromDevice(Tensors.Random(random, kvHeads * tokens * d), kvHeads, tokens, d, precision);
        var values = TakeFromDevice(Tensors.Random(random, kvHeads * tokens * d), kvHeads, tokens, d, precision);
        var input = new AttentionInput(Tensors.Random(random, heads * tokens * d), heads, tokens, 0, keys, values);
        var expected = new float[input.OutputLength];
        var actual = new float[input.OutputLength];
        _cpu.Dense(input, causal: true, expected);
        _device.Dense(input, causal: true, actual);
        AssertClose(expected, actual);
        // int8 is quantised on the host and widened there when a call needs it; the others never go back up.
        Assert.Equal(before.Uploads + uploads, _device.Residency.Uploads);
    }

    private KvTensor TakeFromDevice(float[] data, int heads, int tokens, int d, KvPrecision precision)
    {
        using var source = _device.Accelerator.Allocate1D<float>(data.Length);
        HostCopy.ToDevice(source.View, data.AsSpan());
        return _device.TakeKeyValues(source.View, heads, tokens, d, precision);
    }

    [Fact]
    public void A_tensor_written_after_it_was_copied_is_copied_again()
    {
        var input = Problem(new Random(11), 2, 2, 40, 8, 0, KvPrecision.Float32);
        var first = new float[input.OutputLength];
        _device.Dense(input, causal: true, first);
        input.Values.Write(1, 3, 1, Tensors.Random(new Random(12), 8, 5));
        var expected = new float[input.OutputLength];
        var actual = new float[input.OutputLength];
        _cpu.Dense(input, causal: true, expected);
        _device.Dense(input, causal: true, actual);
        AssertClose(expected, actual);
        Assert.NotEqual(first, actual);
    }

    [Fact]
    public void A_resident_budget_smaller_than_one_call_still_gives_the_right_answer()
    {
        using var small = IlgpuAttentionBackend.CreateCpuSimulator(residentBudgetBytes: 1024);
        var layout = BlockLayout.BlockRank(8, [30, 30, 30], 6);
        var input = Problem(new Random(5), 2, 1, layout.Tokens, 16, 0, KvPrecision.Float32);
        var rows = new RowRange(layout.BlockStart(4), 6);
        var expected = new float[input.OutputLength];
        var expectedMasses = _cpu.BlockSparse(input, layout, expected, rows)!;
        for (int round = 0; round < 2; round++)
        {
            var actual = new float[input.OutputLength];
            AssertMassesClose(expectedMasses, small.BlockSparse(input, layout, actual, rows)!);
            AssertClose(expected, actual);
        }
    }

    [Fact]
    public void The_kernel_compiles_to_ptx_for_hopper()
    {
        // No GPU is needed to generate PTX, so CI catches a construct the CUDA backend cannot translate.
        using var context = Context.Create(builder => builder.Math(MathMode.Fast32BitOnly));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_83, null);
        var kernels = typeof(IlgpuAttentionBackend).Assembly.GetType("Search.GpuAttention.Ilgpu.AttentionKernel")!;
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernels.GetMethod("Run")!), default);
        // ILGPU 1.5.3 targets sm_80 code at most (no Hopper-only instructions); the driver compiles that PTX for sm_90.
        Assert.Contains(".target sm_80", compiled.PTXAssembly);
        Assert.Contains("bar.sync", compiled.PTXAssembly);
        Assert.Contains(".shared", compiled.PTXAssembly);
        var combine = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernels.GetMethod("Combine")!), default);
        Assert.Contains(".target sm_80", combine.PTXAssembly);
        var narrowing = typeof(IlgpuAttentionBackend).Assembly.GetType("Search.GpuAttention.Ilgpu.KvNarrowKernel")!;
        var narrow = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(narrowing.GetMethod("Narrow")!), default);
        Assert.Contains(".target sm_80", narrow.PTXAssembly);
    }
}
