using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Search.GpuAttention.Caching;

/// <summary>
/// The cache file format: magic "BKVCACHE", version, payload length and CRC-32, then the payload (entries with
/// block id, layer, position, precision, shape and the raw little-endian key and value elements).
/// </summary>
internal static class KvCacheFile
{
    public const int Version = 1;
    private static readonly byte[] Magic = "BKVCACHE"u8.ToArray();
    private const int HeaderBytes = 8 + 4 + 8 + 4;

    public static void Write(BlockKvCache cache, Stream stream)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            var entries = cache.Entries();
            writer.Write(entries.Count);
            foreach (var (block, layer, entry) in entries)
            {
                writer.Write(block);
                writer.Write(layer);
                writer.Write(entry.Position);
                WriteTensor(writer, entry.Keys);
                WriteTensor(writer, entry.Values);
            }
        }
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], Crc32.Compute(bytes));
        stream.Write(header);
        stream.Write(bytes);
    }

    public static BlockKvCache Read(Stream stream)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            throw new KvCacheFormatException("KV cache file is truncated: no complete header");
        if (!header[..8].SequenceEqual(Magic)) throw new KvCacheFormatException("not a KV cache file: bad magic");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version) throw new KvCacheFormatException($"KV cache file version {version} is not supported (expected {Version})");
        long length = BinaryPrimitives.ReadInt64LittleEndian(header[12..]);
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        if (length < 4 || length > Array.MaxLength) throw new KvCacheFormatException($"KV cache file declares an impossible payload of {length} bytes");
        if (stream.CanSeek && stream.Length - stream.Position < length)
            throw new KvCacheFormatException($"KV cache file is truncated: {stream.Length - stream.Position} of {length} payload bytes");
        var payload = new byte[length];
        int read = stream.ReadAtLeast(payload, payload.Length, throwOnEndOfStream: false);
        if (read < length) throw new KvCacheFormatException($"KV cache file is truncated: {read} of {length} payload bytes");
        uint actual = Crc32.Compute(payload);
        if (actual != expected) throw new KvCacheFormatException($"KV cache file is corrupt: checksum {actual:x8}, expected {expected:x8}");
        try
        {
            return Parse(payload);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or OverflowException or InvalidDataException)
        {
            throw new KvCacheFormatException("KV cache file payload is malformed: " + e.Message, e);
        }
    }

    private static BlockKvCache Parse(byte[] payload)
    {
        var cache = new BlockKvCache();
        using var reader = new BinaryReader(new MemoryStream(payload, writable: false), Encoding.UTF8);
        int count = reader.ReadInt32();
        if (count < 0) throw new KvCacheFormatException($"KV cache file declares {count} entries");
        for (int i = 0; i < count; i++)
        {
            string block = reader.ReadString();
            int layer = reader.ReadInt32();
            int position = reader.ReadInt32();
            var keys = ReadTensor(reader);
            var values = ReadTensor(reader);
            cache.Put(block, layer, new CachedBlock(keys, values, position));
        }
        if (reader.BaseStream.Position != payload.Length) throw new KvCacheFormatException("KV cache file has trailing bytes after its entries");
        return cache;
    }

    private static void WriteTensor(BinaryWriter writer, KvTensor tensor)
    {
        writer.Write((byte)tensor.Precision);
        writer.Write(tensor.Heads);
        writer.Write(tensor.Tokens);
        writer.Write(tensor.HeadDim);
        if (tensor.SingleStorage is { } single) writer.Write(MemoryMarshal.AsBytes(single.AsSpan()));
        else writer.Write(MemoryMarshal.AsBytes(tensor.BitStorage.AsSpan()));
    }

    private static KvTensor ReadTensor(BinaryReader reader)
    {
        var precision = (KvPrecision)reader.ReadByte();
        if (!Enum.IsDefined(precision)) throw new KvCacheFormatException($"KV cache file names unknown precision {(byte)precision}");
        int heads = reader.ReadInt32(), tokens = reader.ReadInt32(), headDim = reader.ReadInt32();
        long elements = (long)heads * tokens * headDim;
        long bytes = elements * (precision == KvPrecision.Float32 ? 4 : 2);
        if (heads <= 0 || tokens < 0 || headDim <= 0 || bytes > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new KvCacheFormatException($"KV cache file declares a {heads}×{tokens}×{headDim} tensor that does not fit");
        var tensor = KvTensor.Create(heads, tokens, headDim, precision);
        Span<byte> target = tensor.SingleStorage is { } single ? MemoryMarshal.AsBytes(single.AsSpan()) : MemoryMarshal.AsBytes(tensor.BitStorage.AsSpan());
        reader.BaseStream.ReadExactly(target);
        return tensor;
    }
}
