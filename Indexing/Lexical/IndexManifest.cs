using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Search.Indexing.Lexical.Codec;

namespace Search.Indexing.Lexical;

/// <summary>One committed segment as the manifest records it.</summary>
public sealed record ManifestSegment(string Name, int Documents, uint Checksum, int DeleteGeneration, int Deleted);

/// <summary>
/// The commit point of an index directory: which segment files and deletes files make up the index, and
/// the store change sequence it reflects. Written to a temporary file, fsynced, renamed over
/// <see cref="FileName"/>, and the directory fsynced — so a reader sees the old commit or the new one.
/// </summary>
public sealed record IndexManifest(long Sequence, int NextSegment, IReadOnlyList<ManifestSegment> Segments)
{
    /// <summary>The manifest's file name.</summary>
    public const string FileName = "manifest";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>The manifest's bytes: JSON, a newline, and the CRC-32C of the JSON in hex.</summary>
    public byte[] Serialize()
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        string crc = Crc32C.Compute(json).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        return [.. json, (byte)'\n', .. Encoding.ASCII.GetBytes(crc), (byte)'\n'];
    }

    /// <summary>Reads a manifest; throws <see cref="CorruptIndexException"/> when it fails its checksum or does not parse.</summary>
    public static IndexManifest Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int newline = Array.IndexOf(bytes, (byte)'\n');
        if (newline < 0 || bytes.Length != newline + 10 || bytes[^1] != (byte)'\n') throw new CorruptIndexException($"{path}: truncated or malformed manifest");
        string stored = Encoding.ASCII.GetString(bytes, newline + 1, 8);
        string actual = Crc32C.Compute(bytes.AsSpan(0, newline)).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        if (stored != actual) throw new CorruptIndexException($"{path}: manifest checksum mismatch");
        try
        {
            return JsonSerializer.Deserialize<IndexManifest>(bytes.AsSpan(0, newline), Json) ?? throw new CorruptIndexException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new CorruptIndexException($"{path}: manifest does not parse ({e.Message})");
        }
    }
}

/// <summary>Deletes files: a segment's deleted-document bitset at one generation, with a count and a checksum.</summary>
public static class DeletesFile
{
    /// <summary>The file name for a segment's deletes at a generation.</summary>
    public static string Name(string segment, int generation) => $"{segment}_{generation}.del";

    /// <summary>Writes the bitset.</summary>
    public static void Write(Stream output, ulong[] bits, int count)
    {
        var bytes = new byte[4 + bits.Length * 8 + 4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, count);
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4 + 8 * i), bits[i]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        output.Write(bytes);
    }

    /// <summary>Reads a bitset for a segment of <paramref name="documents"/> documents, checking size, count and checksum.</summary>
    public static (ulong[] Bits, int Count) Read(string path, int documents)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int words = (documents + 63) / 64;
        if (bytes.Length != 4 + words * 8 + 4) throw new CorruptIndexException($"{path}: wrong size for {documents} documents");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4));
        if (stored != Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4))) throw new CorruptIndexException($"{path}: checksum mismatch");
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var bits = new ulong[words];
        int actual = 0;
        for (int i = 0; i < words; i++)
        {
            bits[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(4 + 8 * i));
            actual += System.Numerics.BitOperations.PopCount(bits[i]);
        }
        if (actual != count) throw new CorruptIndexException($"{path}: deleted count {count} does not match the bitset ({actual})");
        return (bits, count);
    }
}
