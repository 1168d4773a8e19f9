using System.Runtime.Intrinsics.X86;

namespace Search.Core.Checksums;

/// <summary>CRC-32C (Castagnoli), with the SSE4.2 instruction where the CPU has it; guards every file the product writes.</summary>
public static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }

    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a checksum over more data.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        int i = 0;
        if (Sse42.X64.IsSupported)
        {
            ulong c64 = c;
            for (; i + 8 <= data.Length; i += 8)
                c64 = Sse42.X64.Crc32(c64, System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
            c = (uint)c64;
        }
        for (; i < data.Length; i++) c = Table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
