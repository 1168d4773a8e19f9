using ILGPU;

namespace Search.GpuAttention.Ilgpu;

/// <summary>
/// Rounds fp32 keys or values made on the device to the 16-bit arena's fp16 or bf16, to nearest with ties to even,
/// bit for bit as the host rounds them (<c>(Half)x</c>, <see cref="BFloat16.FromSingle"/>), so a tensor made on the
/// device and its host copy hold the same values.
/// </summary>
internal static class KvNarrowKernel
{
    /// <summary>target[i] = source[i] in the 16-bit format of <paramref name="arena"/> (<see cref="AttentionKernel.Half16"/> or <see cref="AttentionKernel.BFloat"/>).</summary>
    public static void Narrow(Index1D i, int arena, ArrayView<float> source, ArrayView<ushort> target) =>
        target[i] = (ushort)(arena == AttentionKernel.BFloat ? ToBFloat16(source[i]) : ToHalf(source[i]));

    internal static uint ToBFloat16(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (bits >> 16) | 0x40u; // NaN stays a quiet NaN
        return (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
    }

    internal static uint ToHalf(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        uint sign = (bits >> 16) & 0x8000u, magnitude = bits & 0x7FFFFFFFu;
        if (magnitude > 0x7F800000u) return sign | 0x7E00u | ((magnitude >> 13) & 0x3FFu); // NaN, quiet, payload's top bits
        if (magnitude >= 0x477FF000u) return sign | 0x7C00u; // 65520 and up round to infinity
        if (magnitude < 0x38800000u)
        {
            // A subnormal half (or zero): adding 0.5 puts its 10 bits at the bottom of the float's mantissa, and the
            // float addition rounds to nearest even exactly where the half would.
            float aligned = Interop.IntAsFloat(magnitude) + 0.5f;
            return sign | (Interop.FloatAsInt(aligned) - 0x3F000000u);
        }
        // Normal: rebias the exponent (-112) and round the 13 dropped bits to nearest, ties to the even mantissa.
        uint odd = (magnitude >> 13) & 1u;
        return sign | ((magnitude + 0xC8000FFFu + odd) >> 13);
    }
}
