namespace Search.Indexing.Lexical.Codec;

/// <summary>Packs up to 128 non-negative integers at a fixed bit width (little-endian bit order), the postings block codec.</summary>
public static class BitPacking
{
    /// <summary>Bits needed for the largest value (0 for all zeros).</summary>
    public static int BitsRequired(ReadOnlySpan<int> values)
    {
        uint or = 0;
        foreach (int v in values) or |= (uint)v;
        return 32 - System.Numerics.BitOperations.LeadingZeroCount(or);
    }

    /// <summary>Bytes taken by <paramref name="count"/> values at <paramref name="bits"/> bits.</summary>
    public static int PackedBytes(int count, int bits) => (count * bits + 7) >> 3;

    /// <summary>Packs the values into <paramref name="output"/>; returns the bytes written.</summary>
    public static int Pack(ReadOnlySpan<int> values, int bits, Span<byte> output)
    {
        int bytes = PackedBytes(values.Length, bits);
        if (bits == 0) return 0;
        ulong acc = 0;
        int filled = 0, o = 0;
        foreach (int v in values)
        {
            acc |= (ulong)(uint)v << filled;
            filled += bits;
            while (filled >= 8)
            {
                output[o++] = (byte)acc;
                acc >>= 8;
                filled -= 8;
            }
        }
        if (filled > 0) output[o++] = (byte)acc;
        return bytes;
    }

    /// <summary>Unpacks <paramref name="values"/>.Length values; returns the bytes read.</summary>
    public static unsafe int Unpack(byte* input, int bits, Span<int> values)
    {
        int count = values.Length;
        if (bits == 0)
        {
            values.Clear();
            return 0;
        }
        uint mask = bits == 32 ? uint.MaxValue : (1u << bits) - 1;
        int bitPos = 0;
        int bytes = PackedBytes(count, bits);
        for (int i = 0; i < count; i++, bitPos += bits)
        {
            int bytePos = bitPos >> 3;
            int shift = bitPos & 7;
            // Read 8 bytes when they lie inside the packed run, else assemble the tail byte by byte.
            ulong word;
            if (bytePos + 8 <= bytes) word = *(ulong*)(input + bytePos);
            else
            {
                word = 0;
                for (int b = 0; bytePos + b < bytes; b++) word |= (ulong)input[bytePos + b] << (8 * b);
            }
            values[i] = (int)((uint)(word >> shift) & mask);
        }
        return bytes;
    }
}
