using System.Buffers.Binary;
using System.Text.Json;
using Search.Core.IO;
using Search.Indexing.Lexical.Codec;

namespace Search.Indexing.Lexical;

/// <summary>One committed segment as the manifest records it.</summary>
public sealed record ManifestSegment(string Name, int Documents, uint Checksum, int DeleteGeneration, int Deleted);

/// <summary>
/// The commit point of an index directory: which segment files and deletes files make up the index, and
/// the store change sequence it reflects. A checksummed file replaced durably, so a reader sees the old
/// commit or the new one.
/// </summary>
public sealed record IndexManifest(long Sequence, int NextSegment, IReadOnlyList<ManifestSegment> Segments)
{
    /// <summary>The manifest's file name.</summary>
    public const string FileName = "manifest";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>Writes the manifest (a checksummed file) durably over the last one.</summary>
    public void Write(IDurableFileSystem fs, string path) => ChecksummedFile.Write(fs, path, body => JsonSerializer.Serialize(body, this, Json));

    /// <summary>Reads a manifest; throws <see cref="CorruptIndexException"/> when it fails its checksum or does not parse.</summary>
    public static IndexManifest Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = ChecksummedFile.ReadBody(path);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptIndexException($"manifest: {e.Message}");
        }
        try
        {
            return JsonSerializer.Deserialize<IndexManifest>(bytes, Json) ?? throw new CorruptIndexException($"{path}: empty manifest");
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

    /// <summary>Writes the bitset as a checksummed record.</summary>
    public static void Write(Stream output, ulong[] bits, int count) => ChecksummedFile.WriteTo(output, body =>
    {
        var bytes = new byte[4 + bits.Length * 8];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, count);
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4 + 8 * i), bits[i]);
        body.Write(bytes);
    });

    /// <summary>Reads a bitset for a segment of <paramref name="documents"/> documents, checking size, count and checksum.</summary>
    public static (ulong[] Bits, int Count) Read(string path, int documents)
    {
        byte[] record = File.ReadAllBytes(path);
        int words = (documents + 63) / 64;
        if (record.Length != 4 + words * 8 + ChecksummedFile.TrailerBytes) throw new CorruptIndexException($"{path}: wrong size for {documents} documents");
        ReadOnlySpan<byte> bytes;
        try
        {
            bytes = ChecksummedFile.Verify(record, path);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptIndexException(e.Message);
        }
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var bits = new ulong[words];
        int actual = 0;
        for (int i = 0; i < words; i++)
        {
            bits[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(4 + 8 * i)..]);
            actual += System.Numerics.BitOperations.PopCount(bits[i]);
        }
        if (actual != count) throw new CorruptIndexException($"{path}: deleted count {count} does not match the bitset ({actual})");
        return (bits, count);
    }
}
