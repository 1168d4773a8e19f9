using System.Buffers.Binary;
using Search.Core.Checksums;

namespace Search.Core.IO;

/// <summary>
/// The one layout of every checksummed file the product writes: a body, then the CRC-32C of the body in four
/// little-endian bytes; written with <see cref="DurableFile.Replace"/>. A reader gets the body only after the
/// checksum holds, so a torn or flipped file is detected, never parsed as if it were whole.
/// </summary>
public static class ChecksummedFile
{
    /// <summary>Bytes after the body.</summary>
    public const int TrailerBytes = 4;

    /// <summary>Writes <paramref name="path"/> durably with the body <paramref name="writeBody"/> writes.</summary>
    public static void Write(IDurableFileSystem fs, string path, Action<Stream> writeBody) => DurableFile.Replace(fs, path, stream => WriteTo(stream, writeBody));

    /// <summary>Writes the body <paramref name="writeBody"/> writes and its checksum into <paramref name="output"/> (a record inside a larger file).</summary>
    public static void WriteTo(Stream output, Action<Stream> writeBody)
    {
        var body = new ChecksumStream(output);
        writeBody(body);
        Span<byte> trailer = stackalloc byte[TrailerBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, body.Checksum);
        body.Flush();
        output.Write(trailer);
    }

    /// <summary>The verified body of <paramref name="path"/>; <see cref="InvalidDataException"/> when it is truncated or fails its checksum.</summary>
    public static byte[] ReadBody(string path)
    {
        byte[] all = File.ReadAllBytes(path);
        return all[..Verify(all, path).Length];
    }

    /// <summary>The body of a record (body and checksum) after its checksum holds; <see cref="InvalidDataException"/> naming <paramref name="what"/> otherwise.</summary>
    public static ReadOnlySpan<byte> Verify(ReadOnlySpan<byte> record, string what)
    {
        if (record.Length < TrailerBytes) throw new InvalidDataException($"{what}: truncated ({record.Length} bytes)");
        var body = record[..^TrailerBytes];
        if (BinaryPrimitives.ReadUInt32LittleEndian(record[^TrailerBytes..]) != Crc32C.Compute(body))
            throw new InvalidDataException($"{what}: checksum mismatch");
        return body;
    }

    /// <summary>
    /// Streams the body of <paramref name="path"/> to <paramref name="parse"/> (with its length), which must read
    /// all of it, then checks the checksum; on a mismatch a disposable result is disposed and
    /// <see cref="InvalidDataException"/> thrown. Files larger than memory buffers are fine.
    /// </summary>
    public static T Read<T>(string path, Func<Stream, long, T> parse)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long bodyLength = stream.Length - TrailerBytes;
        if (bodyLength < 0) throw new InvalidDataException($"{path}: truncated ({stream.Length} bytes)");
        var body = new ChecksumStream(stream, bodyLength);
        T result;
        try
        {
            result = parse(body, bodyLength);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated", e);
        }
        try
        {
            if (body.Count != bodyLength) throw new InvalidDataException($"{path}: {bodyLength - body.Count} bytes after the content");
            Span<byte> trailer = stackalloc byte[TrailerBytes];
            stream.ReadExactly(trailer);
            if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != body.Checksum) throw new InvalidDataException($"{path}: checksum mismatch");
        }
        catch
        {
            (result as IDisposable)?.Dispose();
            throw;
        }
        return result;
    }
}
