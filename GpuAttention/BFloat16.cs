namespace Search.GpuAttention;

/// <summary>Conversions between float and bfloat16 bit patterns (the upper 16 bits of an IEEE single).</summary>
public static class BFloat16
{
    /// <summary>Rounds to nearest, ties to even; NaN stays a (quiet) NaN.</summary>
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>Exact: every bfloat16 is a float.</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}
