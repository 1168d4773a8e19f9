using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Search.GpuAttention.Cpu;

/// <summary>Vectorized widening of stored fp16/bf16 bit patterns and scaled int8 rows to fp32 for the kernels' tile loads, and the narrowing back.</summary>
internal static class PrecisionConversion
{
    public static void Widen(ReadOnlySpan<ushort> source, KvPrecision precision, Span<float> destination)
    {
        if (precision == KvPrecision.BFloat16) WidenBFloat16(source, destination);
        else WidenHalf(source, destination);
    }

    public static void WidenBFloat16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        int n = source.Length, i = 0;
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var wide = Vector256.WidenLower(Vector128.LoadUnsafe(ref s, (nuint)i).ToVector256Unsafe());
                Vector256.ShiftLeft(wide, 16).AsSingle().StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = BFloat16.ToSingle(Unsafe.Add(ref s, i));
    }

    // The exponent-rebias trick: place the half's exponent and mantissa in a float's bits and multiply by
    // 2^112, which also normalises subnormals exactly; infinities and NaNs get an all-ones exponent.
    public static void WidenHalf(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        int n = source.Length, i = 0;
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            var magnitudeMask = Vector256.Create(0x7FFFu);
            var infinity = Vector256.Create(0x7C00u);
            var scale = Vector256.Create(BitConverter.UInt32BitsToSingle(0x77800000u)); // 2^112
            var floatExponent = Vector256.Create(0x7F800000u);
            for (; i + 8 <= n; i += 8)
            {
                var h = Vector256.WidenLower(Vector128.LoadUnsafe(ref s, (nuint)i).ToVector256Unsafe());
                var magnitude = h & magnitudeMask;
                var value = (Vector256.ShiftLeft(magnitude, 13).AsSingle() * scale).AsUInt32();
                var special = Vector256.GreaterThanOrEqual(magnitude, infinity);
                value |= special & floatExponent;
                value |= Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16);
                value.AsSingle().StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = (float)BitConverter.UInt16BitsToHalf(Unsafe.Add(ref s, i));
    }

    public static void Narrow(ReadOnlySpan<float> source, KvPrecision precision, Span<ushort> destination)
    {
        if (precision == KvPrecision.BFloat16)
        {
            for (int i = 0; i < source.Length; i++) destination[i] = BFloat16.FromSingle(source[i]);
        }
        else
        {
            for (int i = 0; i < source.Length; i++) destination[i] = BitConverter.HalfToUInt16Bits((Half)source[i]);
        }
    }

    /// <summary>Rows of <paramref name="width"/> int8 elements times their row's scale.</summary>
    public static void WidenInt8(ReadOnlySpan<sbyte> source, ReadOnlySpan<float> scales, int width, Span<float> destination)
    {
        for (int r = 0; r < scales.Length; r++)
        {
            ReadOnlySpan<sbyte> row = source.Slice(r * width, width);
            Span<float> target = destination.Slice(r * width, width);
            float scale = scales[r];
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var factor = Vector256.Create(scale);
                for (; i + 16 <= width; i += 16)
                {
                    var (s0, s1) = Vector128.Widen(Vector128.Create(row.Slice(i, 16)));
                    var (i0, i1) = Vector128.Widen(s0);
                    var (i2, i3) = Vector128.Widen(s1);
                    (Vector256.ConvertToSingle(Vector256.Create(i0, i1)) * factor).CopyTo(target.Slice(i, 8));
                    (Vector256.ConvertToSingle(Vector256.Create(i2, i3)) * factor).CopyTo(target.Slice(i + 8, 8));
                }
            }
            for (; i < width; i++) target[i] = row[i] * scale;
        }
    }

    /// <summary>Rows of <paramref name="width"/> floats to int8 with one scale per row (largest magnitude / 127, rounded to nearest).</summary>
    public static void NarrowInt8(ReadOnlySpan<float> source, int width, Span<sbyte> destination, Span<float> scales)
    {
        for (int r = 0; r < scales.Length; r++)
        {
            ReadOnlySpan<float> row = source.Slice(r * width, width);
            float max = 0f;
            foreach (float v in row) max = Math.Max(max, Math.Abs(v));
            float scale = max / 127f, inverse = max > 0f ? 127f / max : 0f;
            scales[r] = scale;
            Span<sbyte> target = destination.Slice(r * width, width);
            for (int i = 0; i < width; i++) target[i] = (sbyte)Math.Clamp(MathF.Round(row[i] * inverse), -127f, 127f);
        }
    }
}
