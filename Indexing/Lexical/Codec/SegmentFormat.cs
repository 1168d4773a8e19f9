namespace Search.Indexing.Lexical.Codec;

/// <summary>
/// Layout of an immutable index segment, one file (or one pinned byte array while it lives in memory):
/// <code>
/// [postings blob][doc ids: long × D][ordinals: int × D][lengths: int × 3 × D]
/// [term byte offsets: int × (T + 1)][term bytes (UTF-8, sorted)][term entries: TermEntrySize × T]
/// [footer: FooterSize bytes][crc32c of everything before it: uint][magic: ulong]
/// </code>
/// A postings list (one term in one field) is a block index (BlockEntrySize bytes per block of up to
/// 128 documents: last doc, data offset, max tf, min field length) followed by the blocks:
/// [doc bit width][tf bit width][packed doc gaps][packed tf − 1].
/// </summary>
public static class SegmentFormat
{
    /// <summary>"SRCHSEG1" little-endian.</summary>
    public const ulong Magic = 0x3147455348435253UL;

    /// <summary>Documents per postings block.</summary>
    public const int BlockSize = 128;

    /// <summary>Indexed fields: title, section path or chapter title, body.</summary>
    public const int FieldCount = 3;

    /// <summary>Bytes of a term entry: df over any field, then per field (list offset: long, doc count: int).</summary>
    public const int TermEntrySize = 4 + FieldCount * 12;

    /// <summary>Bytes of a block index entry.</summary>
    public const int BlockEntrySize = 16;

    /// <summary>Bytes of the footer: version, doc count, term count, section offsets, field length totals.</summary>
    public const int FooterSize = 4 + 4 + 4 + 6 * 8 + FieldCount * 8;

    /// <summary>Bytes after the footer: checksum and magic.</summary>
    public const int TrailerSize = 4 + 8;

    /// <summary>The format version written in every footer.</summary>
    public const int Version = 1;
}

/// <summary>A segment file (or deletes file) failed its checks; the index must be rebuilt from the store.</summary>
public sealed class CorruptIndexException(string message) : Exception(message);
