using Search.Core.Checksums;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Search.Indexing.Lexical.Codec;

/// <summary>
/// Inverts documents in memory and writes them as one immutable segment. Terms are interned once;
/// per document only counters are touched, so adding a document allocates nothing for known terms.
/// </summary>
public sealed class SegmentBuilder
{
    private readonly Dictionary<string, int> _termIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly List<string> _terms = [];
    // Every posting as (slot = term × fields + field, doc, tf), appended in document order; grouped by
    // slot only when the segment is written. One flat array instead of a growing list per term keeps
    // inversion sequential and gives the garbage collector a handful of objects instead of millions.
    private int[] _stream = new int[3 * 4096];
    private int _streamLength;
    private readonly List<long> _documentIds = [];
    private readonly List<int> _ordinals = [];
    private readonly List<int>[] _lengths = [[], [], []];
    private readonly long[] _totalLengths = new long[SegmentFormat.FieldCount];
    private int[] _docTf = new int[1024];
    private readonly List<int> _touched = [];
    private readonly int[] _currentLengths = new int[SegmentFormat.FieldCount];
    private bool _inDocument;

    /// <summary>Creates an empty builder.</summary>
    public SegmentBuilder() => _lookup = _termIds.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Documents added so far.</summary>
    public int DocumentCount => _documentIds.Count;

    /// <summary>Rough bytes of memory held, to decide when to flush.</summary>
    public long EstimatedBytes { get; private set; }

    /// <summary>Starts a document (a retrieval segment: its document id and ordinal).</summary>
    public void BeginDocument(long documentId, int ordinal)
    {
        if (_inDocument) throw new InvalidOperationException("EndDocument was not called");
        _inDocument = true;
        _documentIds.Add(documentId);
        _ordinals.Add(ordinal);
        Array.Clear(_currentLengths);
    }

    /// <summary>Adds one occurrence of an analyzed term in a field of the current document.</summary>
    public void AddTerm(int field, ReadOnlySpan<char> term)
    {
        if (!_lookup.TryGetValue(term, out int id))
        {
            string s = term.ToString();
            id = _terms.Count;
            _termIds[s] = id;
            _terms.Add(s);
            EstimatedBytes += 64 + 2L * s.Length;
        }
        int slot = id * SegmentFormat.FieldCount + field;
        if (slot >= _docTf.Length) Array.Resize(ref _docTf, Math.Max(slot + 1, _docTf.Length * 2));
        if (_docTf[slot]++ == 0) _touched.Add(slot);
        _currentLengths[field]++;
    }

    /// <summary>Finishes the current document.</summary>
    public void EndDocument()
    {
        if (!_inDocument) throw new InvalidOperationException("BeginDocument was not called");
        _inDocument = false;
        int doc = _documentIds.Count - 1;
        foreach (int slot in CollectionsMarshal.AsSpan(_touched))
        {
            Append(slot, doc, _docTf[slot]);
            _docTf[slot] = 0;
        }
        EstimatedBytes += 12L * _touched.Count + 24;
        _touched.Clear();
        for (int f = 0; f < SegmentFormat.FieldCount; f++)
        {
            _lengths[f].Add(_currentLengths[f]);
            _totalLengths[f] += _currentLengths[f];
        }
    }

    private void Append(int slot, int doc, int tf)
    {
        if (_streamLength + 3 > _stream.Length) Array.Resize(ref _stream, _stream.Length * 2);
        _stream[_streamLength] = slot;
        _stream[_streamLength + 1] = doc;
        _stream[_streamLength + 2] = tf;
        _streamLength += 3;
    }

    /// <summary>Groups the posting stream by slot (a counting sort, stable, so documents stay in order): interleaved (doc, tf) pairs and each slot's start.</summary>
    private (int[] Pairs, int[] Starts) GroupBySlot()
    {
        int slots = _terms.Count * SegmentFormat.FieldCount;
        var starts = new int[slots + 1];
        for (int i = 0; i < _streamLength; i += 3) starts[_stream[i] + 1] += 2;
        for (int s = 0; s < slots; s++) starts[s + 1] += starts[s];
        var pairs = GC.AllocateUninitializedArray<int>(starts[slots]);
        var next = (int[])starts.Clone();
        for (int i = 0; i < _streamLength; i += 3)
        {
            int at = next[_stream[i]];
            pairs[at] = _stream[i + 1];
            pairs[at + 1] = _stream[i + 2];
            next[_stream[i]] = at + 2;
        }
        return (pairs, starts);
    }

    /// <summary>Adds a whole document record (used by merges, which copy postings list by list); returns its local id.</summary>
    public int AddDocumentRecord(long documentId, int ordinal, ReadOnlySpan<int> lengths)
    {
        if (_inDocument) throw new InvalidOperationException("EndDocument was not called");
        _documentIds.Add(documentId);
        _ordinals.Add(ordinal);
        for (int f = 0; f < SegmentFormat.FieldCount; f++)
        {
            _lengths[f].Add(lengths[f]);
            _totalLengths[f] += lengths[f];
        }
        EstimatedBytes += 24;
        return _documentIds.Count - 1;
    }

    /// <summary>The id of a term, added if new (merges look a term up once, then append its postings by id).</summary>
    public int InternTerm(ReadOnlySpan<char> term)
    {
        if (_lookup.TryGetValue(term, out int id)) return id;
        string s = term.ToString();
        id = _terms.Count;
        _termIds[s] = id;
        _terms.Add(s);
        EstimatedBytes += 64 + 2L * s.Length;
        return id;
    }

    /// <summary>Appends a posting for a document added with <see cref="AddDocumentRecord"/>; per term and field, documents must come in increasing order.</summary>
    public void AddPosting(int termId, int field, int doc, int tf)
    {
        Append(termId * SegmentFormat.FieldCount + field, doc, tf);
        EstimatedBytes += 12;
    }

    /// <summary>Writes the segment to <paramref name="output"/> (positioned at its start) and returns its checksum.</summary>
    public uint WriteTo(Stream output)
    {
        if (_inDocument) throw new InvalidOperationException("EndDocument was not called");
        var sink = new ChecksumStream(output);
        int termCount = _terms.Count;
        int docCount = _documentIds.Count;
        // Sort terms by their UTF-8 bytes, the order readers binary-search in.
        var utf8 = new byte[termCount][];
        var order = new int[termCount];
        for (int i = 0; i < termCount; i++)
        {
            utf8[i] = Encoding.UTF8.GetBytes(_terms[i]);
            order[i] = i;
        }
        Array.Sort(order, (a, b) => utf8[a].AsSpan().SequenceCompareTo(utf8[b]));

        var (pairs, starts) = GroupBySlot();
        var entries = new byte[(long)termCount * SegmentFormat.TermEntrySize];
        var lists = new PostingsWriter[SegmentFormat.FieldCount];
        for (int f = 0; f < lists.Length; f++) lists[f] = new PostingsWriter();
        Span<byte> header = stackalloc byte[1 + SegmentFormat.FieldCount * 10];
        for (int r = 0; r < termCount; r++)
        {
            int t = order[r];
            var entry = entries.AsSpan(r * SegmentFormat.TermEntrySize, SegmentFormat.TermEntrySize);
            BinaryPrimitives.WriteInt64LittleEndian(entry, sink.Position);
            BinaryPrimitives.WriteInt32LittleEndian(entry[8..], CountDocsInAnyField(pairs, starts, t));
            int mask = 0, h = 1;
            for (int f = 0; f < SegmentFormat.FieldCount; f++)
            {
                int slot = t * SegmentFormat.FieldCount + f;
                var list = pairs.AsSpan(starts[slot], starts[slot + 1] - starts[slot]);
                if (list.IsEmpty) continue;
                mask |= 1 << f;
                lists[f].Encode(list, _lengths[f]);
                h += SegmentFormat.WriteVarint(header[h..], list.Length / 2);
                h += SegmentFormat.WriteVarint(header[h..], lists[f].Encoded.Length);
            }
            header[0] = (byte)mask;
            sink.Write(header[..h]);
            for (int f = 0; f < SegmentFormat.FieldCount; f++)
                if ((mask & (1 << f)) != 0) sink.Write(lists[f].Encoded);
        }
        long docIdsOffset = sink.Position;
        long minId = long.MaxValue, maxId = long.MinValue;
        foreach (long id in _documentIds)
        {
            minId = Math.Min(minId, id);
            maxId = Math.Max(maxId, id);
        }
        if (docCount == 0) minId = maxId = 0;
        int idWidth = SegmentFormat.WidthFor(maxId - minId);
        foreach (long id in _documentIds) WriteFixed(sink, id - minId, idWidth);
        long ordinalsOffset = sink.Position;
        int ordinalWidth = SegmentFormat.WidthFor(Max(_ordinals));
        foreach (int o in _ordinals) WriteFixed(sink, o, ordinalWidth);
        var lengthOffsets = new long[SegmentFormat.FieldCount];
        var lengthWidths = new int[SegmentFormat.FieldCount];
        for (int f = 0; f < SegmentFormat.FieldCount; f++)
        {
            lengthOffsets[f] = sink.Position;
            lengthWidths[f] = SegmentFormat.WidthFor(Max(_lengths[f]));
            foreach (int l in _lengths[f]) WriteFixed(sink, l, lengthWidths[f]);
        }
        sink.Write(new byte[8]); // lets fixed-width reads of the last value stay inside the file
        long termOffsetsOffset = sink.Position;
        int byteOffset = 0;
        for (int r = 0; r < termCount; r++)
        {
            sink.WriteLittleEndian(byteOffset);
            byteOffset += utf8[order[r]].Length;
        }
        sink.WriteLittleEndian(byteOffset);
        long termBytesOffset = sink.Position;
        for (int r = 0; r < termCount; r++) sink.Write(utf8[order[r]]);
        long entriesOffset = sink.Position;
        sink.Write(entries);

        sink.WriteLittleEndian(SegmentFormat.Version);
        sink.WriteLittleEndian(docCount);
        sink.WriteLittleEndian(termCount);
        foreach (long o in new[] { docIdsOffset, ordinalsOffset, lengthOffsets[0], lengthOffsets[1], lengthOffsets[2], termOffsetsOffset, termBytesOffset, entriesOffset })
            sink.WriteLittleEndian(o);
        sink.WriteLittleEndian(minId);
        sink.Write([(byte)idWidth, (byte)ordinalWidth, (byte)lengthWidths[0], (byte)lengthWidths[1], (byte)lengthWidths[2], 0, 0, 0]);
        foreach (long t in _totalLengths) sink.WriteLittleEndian(t);
        uint crc = sink.Checksum;
        sink.WriteLittleEndian(crc);
        sink.WriteLittleEndian(SegmentFormat.Magic);
        sink.Flush();
        return crc;
    }

    private static int Max(List<int> values)
    {
        int max = 0;
        foreach (int v in values) max = Math.Max(max, v);
        return max;
    }

    private static void WriteFixed(ChecksumStream sink, long value, int width)
    {
        switch (width)
        {
            case 0: break;
            case 1: sink.Write([(byte)value]); break;
            case 2:
                Span<byte> two = stackalloc byte[2];
                BinaryPrimitives.WriteUInt16LittleEndian(two, (ushort)value);
                sink.Write(two);
                break;
            case 4: sink.WriteLittleEndian((uint)value); break;
            default: sink.WriteLittleEndian(value); break;
        }
    }

    /// <summary>Writes the segment into a new pinned array (an in-memory segment).</summary>
    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        var pinned = GC.AllocateUninitializedArray<byte>((int)ms.Length, pinned: true);
        ms.GetBuffer().AsSpan(0, (int)ms.Length).CopyTo(pinned);
        return pinned;
    }

    /// <summary>Documents that have the term in any field: a merge of its per-field lists (each sorted by doc).</summary>
    private static int CountDocsInAnyField(int[] pairs, int[] starts, int term)
    {
        int s0 = term * SegmentFormat.FieldCount;
        Span<int> at = stackalloc int[SegmentFormat.FieldCount];
        Span<int> end = stackalloc int[SegmentFormat.FieldCount];
        int nonEmpty = 0, only = 0;
        for (int f = 0; f < SegmentFormat.FieldCount; f++)
        {
            at[f] = starts[s0 + f];
            end[f] = starts[s0 + f + 1];
            if (end[f] > at[f])
            {
                nonEmpty++;
                only = f;
            }
        }
        if (nonEmpty <= 1) return nonEmpty == 0 ? 0 : (end[only] - at[only]) / 2;
        int count = 0;
        while (true)
        {
            int min = int.MaxValue;
            for (int f = 0; f < SegmentFormat.FieldCount; f++)
                if (at[f] < end[f] && pairs[at[f]] < min) min = pairs[at[f]];
            if (min == int.MaxValue) return count;
            count++;
            for (int f = 0; f < SegmentFormat.FieldCount; f++)
                if (at[f] < end[f] && pairs[at[f]] == min) at[f] += 2;
        }
    }
}

/// <summary>Encodes one postings list: a short list inline with its maxima, a longer one as a block index and bit-packed blocks.</summary>
internal sealed class PostingsWriter
{
    private readonly int[] _gaps = new int[SegmentFormat.BlockSize];
    private readonly int[] _tfs = new int[SegmentFormat.BlockSize];
    private readonly byte[] _packed = new byte[2 + 2 * SegmentFormat.BlockSize * 4];
    private readonly System.Buffers.ArrayBufferWriter<byte> _index = new(1 << 12);
    private readonly System.Buffers.ArrayBufferWriter<byte> _data = new(1 << 16);
    private readonly System.Buffers.ArrayBufferWriter<byte> _out = new(1 << 16);

    /// <summary>The bytes of the last encoded list.</summary>
    public ReadOnlySpan<byte> Encoded => _out.WrittenSpan;

    private readonly (int Tf, int Length)[] _pairs = new (int, int)[SegmentFormat.BlockSize];
    private readonly (int Tf, int Length)[] _impacts = new (int, int)[SegmentFormat.ImpactsPerBlock];
    private readonly List<(int Tf, int Length)> _listImpacts = [];

    /// <summary>Encodes a list given as interleaved (doc, tf) pairs in doc order.</summary>
    public void Encode(ReadOnlySpan<int> docTf, List<int> fieldLengths)
    {
        int count = docTf.Length / 2;
        int blocks = (count + SegmentFormat.BlockSize - 1) / SegmentFormat.BlockSize;
        Span<byte> entry = stackalloc byte[SegmentFormat.BlockEntrySize];
        _index.ResetWrittenCount();
        _data.ResetWrittenCount();
        _out.ResetWrittenCount();
        int prev = -1, impacts = 0;
        _listImpacts.Clear();
        for (int b = 0; b < blocks; b++)
        {
            int start = b * SegmentFormat.BlockSize, n = Math.Min(SegmentFormat.BlockSize, count - start);
            for (int i = 0; i < n; i++)
            {
                int doc = docTf[2 * (start + i)], tf = docTf[2 * (start + i) + 1];
                _gaps[i] = doc - prev - 1;
                _tfs[i] = tf - 1;
                prev = doc;
                _pairs[i] = (tf, fieldLengths[doc]);
            }
            impacts = DominatingImpacts(_pairs.AsSpan(0, n));
            for (int k = 0; k < impacts; k++) _listImpacts.Add(_impacts[k]);
            int docBits = BitPacking.BitsRequired(_gaps.AsSpan(0, n)), tfBits = BitPacking.BitsRequired(_tfs.AsSpan(0, n));
            _packed[0] = (byte)docBits;
            _packed[1] = (byte)tfBits;
            int len1 = BitPacking.Pack(_gaps.AsSpan(0, n), docBits, _packed.AsSpan(2));
            int len2 = BitPacking.Pack(_tfs.AsSpan(0, n), tfBits, _packed.AsSpan(2 + len1));
            BinaryPrimitives.WriteInt32LittleEndian(entry, prev);
            BinaryPrimitives.WriteInt32LittleEndian(entry[4..], _data.WrittenCount);
            for (int k = 0; k < SegmentFormat.ImpactsPerBlock; k++)
            {
                var (tf, length) = _impacts[Math.Min(k, impacts - 1)]; // unused slots repeat the last pair
                BinaryPrimitives.WriteUInt16LittleEndian(entry[(8 + 4 * k)..], (ushort)Math.Min(tf, ushort.MaxValue));
                BinaryPrimitives.WriteUInt16LittleEndian(entry[(10 + 4 * k)..], (ushort)Math.Min(length, ushort.MaxValue));
            }
            System.Buffers.BuffersExtensions.Write(_index, entry);
            System.Buffers.BuffersExtensions.Write(_data, _packed.AsSpan(0, 2 + len1 + len2));
        }
        // Every list starts with impacts that dominate all its documents (a short list's are its block's),
        // so a query's upper bound per list costs O(1) instead of a pass over the block index.
        if (blocks > 1) impacts = DominatingImpacts(CollectionsMarshal.AsSpan(_listImpacts));
        Span<byte> head = stackalloc byte[1 + SegmentFormat.ImpactsPerBlock * 10];
        head[0] = (byte)impacts;
        int h = 1;
        for (int k = 0; k < impacts; k++)
        {
            h += SegmentFormat.WriteVarint(head[h..], Math.Min(_impacts[k].Tf, ushort.MaxValue));
            h += SegmentFormat.WriteVarint(head[h..], Math.Min(_impacts[k].Length, ushort.MaxValue));
        }
        System.Buffers.BuffersExtensions.Write(_out, head[..h]);
        if (blocks > 1) System.Buffers.BuffersExtensions.Write(_out, _index.WrittenSpan);
        System.Buffers.BuffersExtensions.Write(_out, _data.WrittenSpan);
    }

    /// <summary>
    /// Reduces (tf, length) pairs (in place) to at most ImpactsPerBlock pairs that dominate all of them:
    /// the Pareto frontier (higher tf, shorter field), merged into neighbouring groups when it is longer.
    /// </summary>
    private int DominatingImpacts(Span<(int Tf, int Length)> pairs)
    {
        // The frontier stays tiny (a handful of points), so insertion is cheaper than sorting the block.
        int n = pairs.Length;
        int frontier = 0;
        for (int i = 0; i < n; i++)
        {
            var p = pairs[i];
            bool dominated = false;
            for (int j = 0; j < frontier && !dominated; j++)
                dominated = pairs[j].Tf >= p.Tf && pairs[j].Length <= p.Length;
            if (dominated) continue;
            int kept = 0;
            for (int j = 0; j < frontier; j++)
                if (!(p.Tf >= pairs[j].Tf && p.Length <= pairs[j].Length)) pairs[kept++] = pairs[j];
            pairs[kept++] = p; // i >= kept, so this never overwrites an unread pair
            frontier = kept;
        }
        // Highest tf first; along a frontier the field length falls with the tf.
        pairs[..frontier].Sort((a, b) => b.Tf.CompareTo(a.Tf));
        int groups = Math.Min(frontier, SegmentFormat.ImpactsPerBlock);
        for (int g = 0; g < groups; g++)
        {
            int first = g * frontier / groups, last = (g + 1) * frontier / groups - 1;
            _impacts[g] = (pairs[first].Tf, pairs[last].Length); // highest tf and shortest length of the group
        }
        return groups;
    }
}
