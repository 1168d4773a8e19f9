using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Search.Core.Checksums;

namespace Search.GpuAttention.Caching;

/// <summary>
/// The cache file format: a header (magic "BKVCACHE", version, payload length), the payload (entry count, then per
/// entry block id, layer, position and keys and values as precision, shape and raw little-endian elements, an int8
/// tensor's row scales before its elements) and a trailing CRC-32C of the payload. Both directions stream, so caches larger than memory buffers are fine.
/// </summary>
internal static class KvCacheFile
{
    public const int Version = 2;
    private static readonly byte[] Magic = "BKVCACHE"u8.ToArray();
    private const int HeaderBytes = 8 + 4 + 8;

    public static void Write(BlockKvCache cache, Stream stream)
    {
        var entries = cache.Entries();
        long length = 4;
        foreach (var (block, _, entry) in entries)
            length += 4 + Encoding.UTF8.GetByteCount(block) + 4 + 4 + TensorBytes(entry.Keys) + TensorBytes(entry.Values);
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], length);
        stream.Write(header);
        var payload = new ChecksumStream(stream);
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(entries.Count);
            foreach (var (block, layer, entry) in entries)
            {
                var id = Encoding.UTF8.GetBytes(block);
                writer.Write(id.Length);
                writer.Write(id);
                writer.Write(layer);
                writer.Write(entry.Position);
                WriteTensor(writer, entry.Keys);
                WriteTensor(writer, entry.Values);
            }
        }
        if (payload.Count != length) throw new InvalidOperationException($"wrote {payload.Count} payload bytes, announced {length}");
        uint checksum = payload.Checksum;
        payload.Flush();
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, checksum);
        stream.Write(trailer);
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
        if (length < 4) throw new KvCacheFormatException($"KV cache file declares an impossible payload of {length} bytes");
        if (stream.CanSeek && stream.Length - stream.Position < length + 4)
            throw new KvCacheFormatException($"KV cache file is truncated: {stream.Length - stream.Position} bytes after the header, {length + 4} expected");
        var payload = new ChecksumStream(stream, length);
        BlockKvCache cache;
        try
        {
            using var reader = new BinaryReader(payload, Encoding.UTF8, leaveOpen: true);
            cache = Parse(reader, length);
        }
        catch (EndOfStreamException e)
        {
            throw new KvCacheFormatException($"KV cache file is truncated or corrupt: the payload ended after {payload.Count} of {length} bytes", e);
        }
        if (payload.Count != length) throw new KvCacheFormatException($"KV cache file is corrupt: entries end after {payload.Count} of {length} payload bytes");
        Span<byte> trailer = stackalloc byte[4];
        if (stream.ReadAtLeast(trailer, 4, throwOnEndOfStream: false) < 4) throw new KvCacheFormatException("KV cache file is truncated: no checksum");
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        if (payload.Checksum != expected) throw new KvCacheFormatException($"KV cache file is corrupt: checksum {payload.Checksum:x8}, expected {expected:x8}");
        return cache;
    }

    private static BlockKvCache Parse(BinaryReader reader, long length)
    {
        var cache = new BlockKvCache();
        int count = reader.ReadInt32();
        if (count < 0) throw new KvCacheFormatException($"KV cache file is corrupt: {count} entries");
        for (int i = 0; i < count; i++)
        {
            int idLength = reader.ReadInt32();
            if (idLength < 0 || idLength > 1 << 20) throw new KvCacheFormatException($"KV cache file is corrupt: a block id of {idLength} bytes");
            string block = Encoding.UTF8.GetString(reader.ReadBytes(idLength));
            int layer = reader.ReadInt32();
            int position = reader.ReadInt32();
            if (layer < 0) throw new KvCacheFormatException($"KV cache file is corrupt: layer {layer}");
            var keys = ReadTensor(reader, length);
            var values = ReadTensor(reader, length);
            if (keys.Heads != values.Heads || keys.Tokens != values.Tokens || keys.HeadDim != values.HeadDim)
                throw new KvCacheFormatException($"KV cache file is corrupt: block '{block}' layer {layer} has keys and values of different shapes");
            cache.Put(block, layer, new CachedBlock(keys, values, position));
        }
        return cache;
    }

    private static long TensorBytes(KvTensor tensor) => 1 + 12 + tensor.Bytes;

    private static void WriteTensor(BinaryWriter writer, KvTensor tensor)
    {
        writer.Write((byte)tensor.Precision);
        writer.Write(tensor.Heads);
        writer.Write(tensor.Tokens);
        writer.Write(tensor.HeadDim);
        if (tensor.SingleStorage is { } single) writer.Write(MemoryMarshal.AsBytes(single.AsSpan()));
        else if (tensor.Int8Storage is ({ } elements, { } scales))
        {
            writer.Write(MemoryMarshal.AsBytes(scales.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(elements.AsSpan()));
        }
        else writer.Write(MemoryMarshal.AsBytes(tensor.BitStorage.AsSpan()));
    }

    private static KvTensor ReadTensor(BinaryReader reader, long length)
    {
        var precision = (KvPrecision)reader.ReadByte();
        if (!Enum.IsDefined(precision)) throw new KvCacheFormatException($"KV cache file is corrupt: unknown precision {(byte)precision}");
        int heads = reader.ReadInt32(), tokens = reader.ReadInt32(), headDim = reader.ReadInt32();
        if (heads <= 0 || tokens < 0 || headDim <= 0 || (long)heads * tokens * headDim > Array.MaxLength
            || KvTensor.StorageBytes(heads, tokens, headDim, precision) > length)
            throw new KvCacheFormatException($"KV cache file is corrupt: a {heads}×{tokens}×{headDim} tensor does not fit its payload");
        var tensor = KvTensor.Create(heads, tokens, headDim, precision);
        if (tensor.SingleStorage is { } single) reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(single.AsSpan()));
        else if (tensor.Int8Storage is ({ } elements, { } scales))
        {
            reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(scales.AsSpan()));
            reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(elements.AsSpan()));
        }
        else reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(tensor.BitStorage.AsSpan()));
        return tensor;
    }
}
