using Search.Core.Checksums;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;

namespace Search.Indexing.Lexical.Codec;

/// <summary>
/// Reads an immutable segment in place, from a memory-mapped file or a pinned array: the checksum is
/// verified once on open, then term lookups and postings reads touch only the mapped bytes.
/// </summary>
public sealed unsafe class SegmentReader : IDisposable
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte[]? _array;
    private GCHandle _pin;
    private readonly byte* _base;
    private readonly long _length;
    private readonly long _docIds, _ordinals, _termOffsets, _termBytes, _entries, _idBase;
    private readonly long[] _lengths = new long[SegmentFormat.FieldCount];
    private readonly int _idWidth, _ordinalWidth;
    private readonly int[] _lengthWidths = new int[SegmentFormat.FieldCount];
    private readonly long[] _totalLengths = new long[SegmentFormat.FieldCount];
    private int _disposed;

    /// <summary>Documents (retrieval segments) in this segment, deleted ones included.</summary>
    public int DocumentCount { get; }

    /// <summary>Distinct terms.</summary>
    public int TermCount { get; }

    /// <summary>Size in bytes.</summary>
    public long SizeBytes => _length;

    /// <summary>The name the segment is known by (its file name, or a memory name).</summary>
    public string Name { get; }

    /// <summary>The checksum from the trailer.</summary>
    public uint Checksum { get; }

    /// <summary>Opens a segment file, memory-mapped; throws <see cref="CorruptIndexException"/> when it fails its checks.</summary>
    public static SegmentReader Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length < SegmentFormat.FooterSize + SegmentFormat.TrailerSize) throw new CorruptIndexException($"{path}: truncated ({length} bytes)");
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            return new SegmentReader(Path.GetFileName(path), p, length, file, view, null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads a segment held in a pinned array (a segment not yet written to disk).</summary>
    public static SegmentReader FromArray(string name, byte[] data)
    {
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        var reader = new SegmentReader(name, (byte*)handle.AddrOfPinnedObject(), data.Length, null, null, data);
        reader._pin = handle;
        return reader;
    }

    private SegmentReader(string name, byte* p, long length, MemoryMappedFile? file, MemoryMappedViewAccessor? view, byte[]? array)
    {
        Name = name;
        _base = p;
        _length = length;
        _file = file;
        _view = view;
        _array = array;
        try
        {
            if (length < SegmentFormat.FooterSize + SegmentFormat.TrailerSize) throw new CorruptIndexException($"{name}: truncated");
            if (*(ulong*)(p + length - 8) != SegmentFormat.Magic) throw new CorruptIndexException($"{name}: not a segment (bad magic)");
            uint stored = *(uint*)(p + length - 12);
            uint actual = Crc32C.Compute(new ReadOnlySpan<byte>(p, checked((int)Math.Min(length - 12, int.MaxValue))));
            if (length - 12 > int.MaxValue) actual = Crc32C.Append(actual, new ReadOnlySpan<byte>(p + int.MaxValue, (int)(length - 12 - int.MaxValue)));
            if (stored != actual) throw new CorruptIndexException($"{name}: checksum mismatch (stored {stored:x8}, computed {actual:x8})");
            Checksum = stored;
            byte* f = p + length - SegmentFormat.TrailerSize - SegmentFormat.FooterSize;
            if (*(int*)f != SegmentFormat.Version) throw new CorruptIndexException($"{name}: unknown format version {*(int*)f}");
            DocumentCount = *(int*)(f + 4);
            TermCount = *(int*)(f + 8);
            long* offsets = (long*)(f + 12);
            _docIds = offsets[0];
            _ordinals = offsets[1];
            for (int i = 0; i < SegmentFormat.FieldCount; i++) _lengths[i] = offsets[2 + i];
            _termOffsets = offsets[5];
            _termBytes = offsets[6];
            _entries = offsets[7];
            _idBase = *(long*)(f + 76);
            byte* widths = f + 84;
            _idWidth = widths[0];
            _ordinalWidth = widths[1];
            for (int i = 0; i < SegmentFormat.FieldCount; i++) _lengthWidths[i] = widths[2 + i];
            for (int i = 0; i < SegmentFormat.FieldCount; i++) _totalLengths[i] = *(long*)(f + 92 + 8 * i);
            long bodyEnd = length - SegmentFormat.TrailerSize - SegmentFormat.FooterSize;
            if (_entries + (long)TermCount * SegmentFormat.TermEntrySize != bodyEnd || _docIds < 0 || _docIds > _ordinals || _termOffsets > _termBytes)
                throw new CorruptIndexException($"{name}: inconsistent section offsets");
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>Total length of a field over all documents of the segment.</summary>
    public long TotalLength(int field) => _totalLengths[field];

    /// <summary>The id of the stored document a local document belongs to.</summary>
    public long DocumentId(int doc) => _idBase + SegmentFormat.ReadFixed(_base + _docIds, _idWidth, doc);

    /// <summary>The segment ordinal within its document.</summary>
    public int Ordinal(int doc) => (int)SegmentFormat.ReadFixed(_base + _ordinals, _ordinalWidth, doc);

    /// <summary>A document's length in a field (in analyzed terms).</summary>
    public int Length(int field, int doc) => (int)SegmentFormat.ReadFixed(_base + _lengths[field], _lengthWidths[field], doc);

    /// <summary>Finds a term by its UTF-8 bytes; returns its rank or -1.</summary>
    public int FindTerm(ReadOnlySpan<byte> utf8)
    {
        int lo = 0, hi = TermCount - 1;
        int* offsets = (int*)(_base + _termOffsets);
        byte* bytes = _base + _termBytes;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var candidate = new ReadOnlySpan<byte>(bytes + offsets[mid], offsets[mid + 1] - offsets[mid]);
            int c = candidate.SequenceCompareTo(utf8);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    /// <summary>The UTF-8 bytes of the term at a rank.</summary>
    public ReadOnlySpan<byte> TermBytes(int rank)
    {
        int* offsets = (int*)(_base + _termOffsets);
        return new ReadOnlySpan<byte>(_base + _termBytes + offsets[rank], offsets[rank + 1] - offsets[rank]);
    }

    /// <summary>The term at a rank as a string.</summary>
    public string Term(int rank) => Encoding.UTF8.GetString(TermBytes(rank));

    /// <summary>Documents containing the term in any field.</summary>
    public int DocumentFrequency(int rank) => *(int*)(_base + _entries + (long)rank * SegmentFormat.TermEntrySize + 8);

    /// <summary>Finds a term's list in a field: its start and document count, or false when the field has none.</summary>
    private bool Locate(int rank, int field, out byte* list, out int count)
    {
        byte* p = _base + *(long*)(_base + _entries + (long)rank * SegmentFormat.TermEntrySize);
        int mask = *p++;
        list = null;
        count = 0;
        if ((mask & (1 << field)) == 0) return false;
        long skip = 0;
        for (int f = 0; f < SegmentFormat.FieldCount; f++)
        {
            if ((mask & (1 << f)) == 0) continue;
            int df = SegmentFormat.ReadVarint(ref p);
            int bytes = SegmentFormat.ReadVarint(ref p);
            if (f < field) skip += bytes;
            else if (f == field) count = df;
        }
        list = p + skip;
        return true;
    }

    /// <summary>Positions a cursor on a term's postings in a field; false when there are none.</summary>
    public bool OpenPostings(int rank, int field, PostingCursor cursor)
    {
        if (!Locate(rank, field, out byte* list, out int count)) return false;
        cursor.Reset(list, count, _base + _lengths[field], _lengthWidths[field]);
        return true;
    }

    /// <summary>Writes the segment's bytes (to persist a segment that lives in memory).</summary>
    public void CopyTo(Stream output)
    {
        const int chunk = 1 << 20;
        for (long at = 0; at < _length; at += chunk)
            output.Write(new ReadOnlySpan<byte>(_base + at, (int)Math.Min(chunk, _length - at)));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Release();
    }

    private void Release()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
        if (_pin.IsAllocated) _pin.Free();
        GC.KeepAlive(_array);
    }
}
