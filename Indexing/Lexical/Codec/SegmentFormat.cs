namespace Search.Indexing.Lexical.Codec;

/// <summary>
/// Layout of an immutable index segment, one file (or one pinned byte array while it lives in memory):
/// <code>
/// [postings][doc id deltas][ordinals][field lengths × 3]        fixed-width (0, 1, 2, 4 or 8 bytes) per document
/// [term byte offsets: int × (T + 1)][term bytes (UTF-8, sorted)][term entries: postings start (long), df (int)]
/// [footer][crc32c of everything before it: uint][magic: ulong]
/// </code>
/// A term's postings start with a field mask and, per field present, varint document count and byte
/// length; then each field's list. A list of at most one block is [varint max tf][varint min length]
/// [block]; a longer list is a block index (BlockEntrySize bytes per block: last doc, data offset,
/// dominating (tf, length) pairs) followed by the blocks. A block is [doc bit width][tf bit width][packed doc
/// gaps][packed tf − 1] for up to 128 documents.
/// </summary>
public static class SegmentFormat
{
    /// <summary>"SRCHSEG4" little-endian.</summary>
    public const ulong Magic = 0x3447455348435253UL;

    /// <summary>Documents per postings block.</summary>
    public const int BlockSize = 128;

    /// <summary>Indexed fields: title, section path or chapter title, body.</summary>
    public const int FieldCount = 3;

    /// <summary>Bytes of a term entry: postings start (long) and documents with the term in any field (int).</summary>
    public const int TermEntrySize = 12;

    /// <summary>Bytes of a block index entry: last doc, data offset, then <see cref="ImpactsPerBlock"/> (tf, length) pairs as ushorts.</summary>
    public const int BlockEntrySize = 8 + ImpactsPerBlock * 4;

    /// <summary>
    /// (term frequency, field length) pairs kept per block: a small set that dominates every document of
    /// the block (each has a pair with tf ≥ and length ≤ its own), so BM25 bounds stay tight for any
    /// collection statistics. A stored tf of 65535 means "at least that".
    /// </summary>
    public const int ImpactsPerBlock = 4;

    /// <summary>Bytes of the footer: version, counts, section offsets, doc id base, widths, length totals.</summary>
    public const int FooterSize = 4 + 4 + 4 + 8 * 8 + 8 + 8 + FieldCount * 8;

    /// <summary>Bytes after the footer: checksum and magic.</summary>
    public const int TrailerSize = 4 + 8;

    /// <summary>The format version written in every footer.</summary>
    public const int Version = 4;

    /// <summary>Bytes per value that hold every value up to <paramref name="max"/> (0 when all are 0).</summary>
    public static int WidthFor(long max) => max == 0 ? 0 : max <= byte.MaxValue ? 1 : max <= ushort.MaxValue ? 2 : max <= uint.MaxValue ? 4 : 8;

    /// <summary>Reads value <paramref name="index"/> of a fixed-width array.</summary>
    public static unsafe long ReadFixed(byte* array, int width, long index) => width switch
    {
        0 => 0,
        1 => array[index],
        2 => *(ushort*)(array + 2 * index),
        4 => *(uint*)(array + 4 * index),
        _ => *(long*)(array + 8 * index),
    };

    /// <summary>Reads a varint (7 bits a byte, low first) and advances the pointer.</summary>
    public static unsafe int ReadVarint(ref byte* p)
    {
        int value = 0, shift = 0;
        while (true)
        {
            byte b = *p++;
            value |= (b & 0x7F) << shift;
            if (b < 0x80) return value;
            shift += 7;
        }
    }

    /// <summary>Writes a varint into <paramref name="output"/>; returns the bytes written.</summary>
    public static int WriteVarint(Span<byte> output, int value)
    {
        int n = 0;
        uint v = (uint)value;
        while (v >= 0x80)
        {
            output[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        output[n++] = (byte)v;
        return n;
    }
}

/// <summary>A segment file (or deletes file) failed its checks; the index must be rebuilt from the store.</summary>
public sealed class CorruptIndexException(string message) : Exception(message);
