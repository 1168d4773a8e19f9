namespace Search.GpuAttention.Caching;

/// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) for cache file integrity, computable in pieces.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>The running state before any data.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Folds more data into a running state.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) state = Table[(state ^ b) & 0xFF] ^ (state >> 8);
        return state;
    }

    /// <summary>The CRC of everything appended.</summary>
    public static uint Finish(uint state) => ~state;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
