namespace Search.GpuAttention.Tests;

public sealed class PrecisionTests
{
    [Theory]
    [InlineData(KvPrecision.Float16, 1.0 / 2048)]   // 11 significant bits
    [InlineData(KvPrecision.BFloat16, 1.0 / 256)]   // 8 significant bits
    [InlineData(KvPrecision.Float32, 0)]
    public void Storage_round_trips_within_its_precision(KvPrecision precision, double relative)
    {
        var random = new Random(1);
        var data = Tensors.Random(random, 3 * 37 * 9, amplitude: 100);
        data[0] = 0; data[1] = -0f; data[2] = 1e-6f; data[3] = 65000f;
        var tensor = KvTensor.FromSingle(data, 3, 37, 9, precision);
        var back = tensor.ToSingle();
        for (int i = 0; i < data.Length; i++)
        {
            // fp16 subnormals below 2^-14 have absolute, not relative, precision.
            double allowed = Math.Abs(data[i]) * relative + (precision == KvPrecision.Float16 ? Math.Pow(2, -25) : 0);
            Assert.True(Math.Abs(back[i] - data[i]) <= allowed, $"{precision}: {data[i]} came back as {back[i]}");
        }
        Assert.Equal(precision == KvPrecision.Float32 ? 4 * data.Length : 2 * data.Length, tensor.Bytes);
    }

    [Fact]
    public void Half_widening_agrees_with_the_framework_for_every_bit_pattern()
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var widened = new float[bits.Length];
        Cpu.PrecisionConversion.WidenHalf(bits, widened);
        for (int i = 0; i < bits.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(bits[i]);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(widened[i]), $"0x{i:x4}");
            else Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(widened[i]));
        }
    }

    [Fact]
    public void BFloat16_rounds_to_nearest_even_and_keeps_specials()
    {
        Assert.Equal(1f, BFloat16.ToSingle(BFloat16.FromSingle(1f)));
        Assert.Equal(float.PositiveInfinity, BFloat16.ToSingle(BFloat16.FromSingle(float.PositiveInfinity)));
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(float.NaN))));
        // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
        Assert.Equal(1f, BFloat16.ToSingle(BFloat16.FromSingle(1f + MathF.Pow(2, -8))));
        Assert.Equal(1f + MathF.Pow(2, -6), BFloat16.ToSingle(BFloat16.FromSingle(1f + 3 * MathF.Pow(2, -8))));
    }

    [Theory]
    [InlineData(KvPrecision.Float16)]
    [InlineData(KvPrecision.BFloat16)]
    public void Kernels_on_narrow_storage_match_the_reference_on_the_rounded_values(KvPrecision precision)
    {
        var random = new Random(3);
        var layout = BlockLayout.BlockRank(10, [70, 3, 0, 66], 9);
        int heads = 4, kvHeads = 2, d = 33, tokens = layout.Tokens;
        var q = Tensors.Random(random, heads * tokens * d);
        var keys = KvTensor.FromSingle(Tensors.Random(random, kvHeads * tokens * d), kvHeads, tokens, d, precision);
        var values = KvTensor.FromSingle(Tensors.Random(random, kvHeads * tokens * d), kvHeads, tokens, d, precision);
        var input = new AttentionInput(q, heads, tokens, 0, keys, values);
        var output = new float[input.OutputLength];
        new CpuAttentionBackend().BlockSparse(input, layout, output);
        var (expected, _) = ReferenceAttention.Compute(q, heads, tokens, 0, keys.ToSingle(), values.ToSingle(), kvHeads, tokens, d, layout.Allows);
        Tensors.AssertClose(expected, output, 1e-5);
    }
}
