using System.Buffers.Binary;
using Search.Core.IO;

namespace Search.Indexing.Vectors;

/// <summary>What wrote a vector index file.</summary>
public enum VectorFileKind
{
    /// <summary><see cref="ExactVectorIndex"/>.</summary>
    Exact = 1,
    /// <summary><see cref="FaissVectorIndex"/>.</summary>
    Faiss = 2,
}

/// <summary>The header of a vector index file.</summary>
public readonly record struct VectorFileHeader(VectorFileKind Kind, int Version, int Dimension, long PayloadLength);

/// <summary>
/// The container shared by both index kinds: a 32-byte header (magic, format version, kind, dimension,
/// payload length) and the payload, as a <see cref="ChecksummedFile"/> — a crash leaves the old file or the new one.
/// </summary>
public static class VectorFile
{
    /// <summary>Current format version.</summary>
    public const int Version = 1;
    private const ulong Magic = 0x3158444956435253; // "SRCVIDX1" little-endian
    private const int HeaderBytes = 32, FooterBytes = 4;

    /// <summary>Writes a file whose payload is exactly <paramref name="payloadLength"/> bytes written by <paramref name="writePayload"/>.</summary>
    public static void Save(string path, VectorFileKind kind, int dimension, long payloadLength, Action<Stream> writePayload)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full) ?? ".");
        ChecksummedFile.Write(DiskFileSystem.Instance, full, body =>
        {
            var header = new byte[HeaderBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), (int)kind);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), dimension);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), payloadLength);
            body.Write(header);
            writePayload(body);
            if (body.Position != HeaderBytes + payloadLength)
                throw new InvalidOperationException($"vector payload was {body.Position - HeaderBytes} bytes, declared {payloadLength}");
        });
    }

    /// <summary>Reads and validates the header (not the checksum).</summary>
    public static VectorFileHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(path, stream);
    }

    /// <summary>
    /// Validates the header and length, lets <paramref name="readPayload"/> consume exactly the payload, then
    /// checks the CRC; a mismatch disposes the result and throws.
    /// </summary>
    public static T Read<T>(string path, VectorFileKind kind, Func<VectorFileHeader, Stream, T> readPayload) where T : IDisposable
    {
        var header = ReadHeader(path);
        if (header.Kind != kind) throw new VectorIndexException($"{path}: a {header.Kind} vector index, expected {kind}");
        try
        {
            return ChecksummedFile.Read(path, (body, _) =>
            {
                body.ReadExactly(new byte[HeaderBytes]);
                return readPayload(header, body);
            });
        }
        catch (InvalidDataException e)
        {
            throw new VectorIndexException($"{path}: corrupt vector index ({e.Message})", e);
        }
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (FileNotFoundException e)
        {
            throw new VectorIndexException($"{path}: no such vector index file", e);
        }
    }

    private static VectorFileHeader ReadHeader(string path, FileStream stream)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (stream.Length < HeaderBytes + FooterBytes) throw new VectorIndexException($"{path}: truncated vector index ({stream.Length} bytes)");
        stream.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic) throw new VectorIndexException($"{path}: not a vector index file (bad magic)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version) throw new VectorIndexException($"{path}: unsupported vector index version {version} (this build reads {Version})");
        var kind = (VectorFileKind)BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        long payload = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        if (dimension <= 0 || payload < 0) throw new VectorIndexException($"{path}: corrupt vector index header");
        if (stream.Length != HeaderBytes + payload + FooterBytes)
            throw new VectorIndexException($"{path}: truncated or padded vector index ({stream.Length} bytes, header says {HeaderBytes + payload + FooterBytes})");
        return new VectorFileHeader(kind, version, dimension, payload);
    }
}
