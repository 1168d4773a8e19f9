using System.Buffers.Binary;
using Search.Indexing.Lexical;
using Search.Indexing.Lexical.Codec;

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
/// payload length), the payload, and a CRC-32C of everything before it. Written to a temporary file,
/// fsynced, renamed, directory fsynced — a crash leaves the old file or the new one.
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
        string directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        var fs = DiskFileSystem.Instance;
        try
        {
            fs.WriteDurably(temp, stream =>
            {
                var header = new byte[HeaderBytes];
                BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), (int)kind);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), dimension);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), payloadLength);
                var crc = new CrcStream(stream);
                crc.Write(header);
                writePayload(crc);
                if (crc.Position != HeaderBytes + payloadLength)
                    throw new InvalidOperationException($"vector payload was {crc.Position - HeaderBytes} bytes, declared {payloadLength}");
                Span<byte> footer = stackalloc byte[FooterBytes];
                BinaryPrimitives.WriteUInt32LittleEndian(footer, crc.Checksum);
                stream.Write(footer);
            });
            fs.Rename(temp, full);
            fs.SyncDirectory(directory);
        }
        catch
        {
            fs.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads and validates the header (not the checksum).</summary>
    public static VectorFileHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(path, stream);
    }

    /// <summary>
    /// Opens the file, validates the header and length, lets <paramref name="readPayload"/> consume exactly the
    /// payload, then checks the CRC; a mismatch disposes the result and throws.
    /// </summary>
    public static T Read<T>(string path, VectorFileKind kind, Func<VectorFileHeader, Stream, T> readPayload) where T : IDisposable
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(path, stream);
        if (header.Kind != kind) throw new VectorIndexException($"{path}: a {header.Kind} vector index, expected {kind}");
        var crc = new CrcStream(stream);
        stream.Position = 0;
        var skip = new byte[HeaderBytes];
        crc.ReadExactly(skip);
        T result;
        try
        {
            result = readPayload(header, crc);
        }
        catch (EndOfStreamException e)
        {
            throw new VectorIndexException($"{path}: truncated vector index", e);
        }
        try
        {
            if (crc.Position != HeaderBytes + header.PayloadLength)
                throw new VectorIndexException($"{path}: corrupt vector index (payload size does not match its header)");
            Span<byte> footer = stackalloc byte[FooterBytes];
            stream.ReadExactly(footer);
            if (BinaryPrimitives.ReadUInt32LittleEndian(footer) != crc.Checksum)
                throw new VectorIndexException($"{path}: corrupt vector index (checksum mismatch)");
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
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

    /// <summary>Passes bytes through while keeping a running CRC-32C and count.</summary>
    private sealed class CrcStream(Stream inner) : Stream
    {
        private long _position;
        public uint Checksum { get; private set; }
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            Checksum = Crc32C.Append(Checksum, buffer[..n]);
            _position += n;
            return n;
        }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Checksum = Crc32C.Append(Checksum, buffer);
            _position += buffer.Length;
        }
    }
}
