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
    public void Int8_rows_round_trip_within_half_a_step_of_their_own_scale()
    {
        var random = new Random(2);
        int heads = 3, tokens = 37, d = 41; // 41: a vector body of 32 and a scalar tail
        var data = Tensors.Random(random, heads * tokens * d, amplitude: 10);
        for (int c = 0; c < d; c++) data[5 * d + c] = 0f;        // an all-zero row
        for (int c = 0; c < d; c++) data[6 * d + c] *= 1e-4f;    // a tiny row keeps its own scale, not the tensor's
        var tensor = KvTensor.FromSingle(data, heads, tokens, d, KvPrecision.Int8);
        var back = tensor.ToSingle();
        for (int row = 0; row < heads * tokens; row++)
        {
            float max = 0;
            for (int c = 0; c < d; c++) max = Math.Max(max, Math.Abs(data[row * d + c]));
            for (int c = 0; c < d; c++)
            {
                int i = row * d + c;
                Assert.True(Math.Abs(back[i] - data[i]) <= max / 254 * 1.0001 + 1e-12, $"row {row}: {data[i]} came back as {back[i]} (row max {max})");
            }
        }
        Assert.All(back.AsSpan(5 * d, d).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(heads * tokens * d + 4 * heads * tokens, tensor.Bytes);
        // Rows written in two parts read back like the whole.
        var parts = KvTensor.Create(heads, tokens, d, KvPrecision.Int8);
        for (int h = 0; h < heads; h++)
        {
            parts.Write(h, 0, 10, data.AsSpan(h * tokens * d, 10 * d));
            parts.Write(h, 10, tokens - 10, data.AsSpan((h * tokens + 10) * d, (tokens - 10) * d));
        }
        Assert.Equal(back, parts.ToSingle());
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
    [InlineData(KvPrecision.Int8)]
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
