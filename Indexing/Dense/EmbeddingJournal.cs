using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Search.Core.Checksums;

namespace Search.Indexing.Dense;

/// <summary>
/// An append-only log of the vectors a model made, keyed by the text they embed (its SHA-256), each record
/// checksummed and the file forced to disk after every batch. The dense stage writes the batches it embeds here
/// before they reach a saved index, so a stage killed mid-embedding resumes without embedding them again; once the
/// index is saved the log is emptied. Given a folder of its own, it is also a cache that outlives indexes (an
/// evaluation that embeds the same collection again). A torn or damaged tail is cut off on opening.
/// </summary>
public sealed class EmbeddingJournal : IDisposable
{
    private const int KeyBytes = 16;
    private static ReadOnlySpan<byte> Magic => "SRCHEMBJ"u8;
    private readonly FileStream _file;
    private readonly Dictionary<UInt128, long> _offsets = [];
    private readonly int _dimension;
    private readonly int _recordBytes;
    private readonly long _headerBytes;

    private EmbeddingJournal(FileStream file, int dimension, long headerBytes)
    {
        _file = file;
        _dimension = dimension;
        _recordBytes = KeyBytes + dimension * sizeof(float) + sizeof(uint);
        _headerBytes = headerBytes;
    }

    /// <summary>Vectors in the log.</summary>
    public int Count => _offsets.Count;

    /// <summary>
    /// Opens (or creates) the log at <paramref name="path"/> for <paramref name="model"/>'s vectors of
    /// <paramref name="dimension"/>; a log of another model or dimension is started over. Null when another process
    /// holds it (the caller embeds without it).
    /// </summary>
    public static EmbeddingJournal? Open(string path, string model, int dimension)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        try
        {
            var header = Header(model, dimension);
            var existing = new byte[Math.Min(file.Length, header.Length)];
            file.ReadExactly(existing);
            if (!existing.AsSpan().SequenceEqual(header))
            {
                file.SetLength(0);
                file.Write(header);
                file.Flush(flushToDisk: true);
            }
            var journal = new EmbeddingJournal(file, dimension, header.Length);
            journal.Scan();
            return journal;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static byte[] Header(string model, int dimension)
    {
        var name = Encoding.UTF8.GetBytes(model);
        var header = new byte[Magic.Length + 8 + name.Length];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(Magic.Length), dimension);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(Magic.Length + 4), name.Length);
        name.CopyTo(header.AsSpan(Magic.Length + 8));
        return header;
    }

    /// <summary>Indexes every whole record; the first torn or damaged one and everything after it are cut off.</summary>
    private void Scan()
    {
        var record = new byte[_recordBytes];
        long at = _headerBytes;
        _file.Position = at;
        while (at + _recordBytes <= _file.Length)
        {
            _file.ReadExactly(record);
            var body = record.AsSpan(0, _recordBytes - sizeof(uint));
            if (BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(_recordBytes - sizeof(uint))) != Crc32C.Compute(body)) break;
            _offsets[BinaryPrimitives.ReadUInt128LittleEndian(record)] = at + KeyBytes;
            at += _recordBytes;
        }
        if (at != _file.Length)
        {
            _file.SetLength(at);
            _file.Flush(flushToDisk: true);
        }
    }

    /// <summary>The key of a text.</summary>
    public static UInt128 Key(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    /// <summary>Copies the logged vector of <paramref name="key"/> into <paramref name="vector"/>; false when there is none.</summary>
    public bool TryGet(UInt128 key, Span<float> vector)
    {
        if (!_offsets.TryGetValue(key, out long offset)) return false;
        RandomAccess.Read(_file.SafeFileHandle, System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector[.._dimension]), offset);
        return true;
    }

    /// <summary>Logs vectors (row after row in <paramref name="vectors"/>) under their keys, durably, before returning.</summary>
    public void Append(IReadOnlyList<UInt128> keys, ReadOnlySpan<float> vectors)
    {
        if (keys.Count == 0) return;
        var buffer = new byte[keys.Count * _recordBytes];
        long at = _file.Length;
        for (int i = 0; i < keys.Count; i++)
        {
            var record = buffer.AsSpan(i * _recordBytes, _recordBytes);
            BinaryPrimitives.WriteUInt128LittleEndian(record, keys[i]);
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors.Slice(i * _dimension, _dimension)).CopyTo(record[KeyBytes..]);
            BinaryPrimitives.WriteUInt32LittleEndian(record[(_recordBytes - sizeof(uint))..], Crc32C.Compute(record[..(_recordBytes - sizeof(uint))]));
        }
        _file.Position = at;
        _file.Write(buffer);
        _file.Flush(flushToDisk: true);
        for (int i = 0; i < keys.Count; i++) _offsets[keys[i]] = at + (long)i * _recordBytes + KeyBytes;
    }

    /// <summary>Empties the log (its vectors are now in a saved index).</summary>
    public void Reset()
    {
        _offsets.Clear();
        _file.SetLength(_headerBytes);
        _file.Flush(flushToDisk: true);
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
