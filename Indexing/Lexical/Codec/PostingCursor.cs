namespace Search.Indexing.Lexical.Codec;

/// <summary>
/// Iterates one postings list block by block. Skipping uses the block index (last doc of each block)
/// without decoding; a block is decoded only when a document in it is needed. Reusable across lists.
/// </summary>
public sealed unsafe class PostingCursor
{
    /// <summary>The value of <see cref="Doc"/> once the list is exhausted.</summary>
    public const int NoMoreDocs = int.MaxValue;

    private readonly int[] _docs = new int[SegmentFormat.BlockSize];
    private readonly int[] _tfs = new int[SegmentFormat.BlockSize];
    private byte* _index;
    private byte* _data;
    private byte* _lengths;
    private int _lengthWidth;
    private int _blocks, _count, _block, _pos, _n;
    private readonly int[] _singleTf = new int[SegmentFormat.ImpactsPerBlock];
    private readonly int[] _singleLength = new int[SegmentFormat.ImpactsPerBlock];
    private int _singleImpacts;

    /// <summary>The current document, or <see cref="NoMoreDocs"/>.</summary>
    public int Doc { get; private set; }

    /// <summary>Documents in the list.</summary>
    public int Count => _count;

    /// <summary>The term frequency at the current document.</summary>
    public int Frequency => _tfs[_pos];

    /// <summary>The field length of the current document.</summary>
    public int FieldLength => (int)SegmentFormat.ReadFixed(_lengths, _lengthWidth, Doc);

    internal void Reset(byte* list, int count, byte* lengths, int lengthWidth)
    {
        _count = count;
        _blocks = (count + SegmentFormat.BlockSize - 1) / SegmentFormat.BlockSize;
        _lengths = lengths;
        _lengthWidth = lengthWidth;
        Doc = -1;
        _singleImpacts = *list++;
        for (int k = 0; k < _singleImpacts; k++)
        {
            _singleTf[k] = SegmentFormat.ReadVarint(ref list);
            _singleLength[k] = SegmentFormat.ReadVarint(ref list);
        }
        if (_blocks == 1)
        {
            // A short list is decoded at once; its list impacts are its block's.
            _index = null;
            _data = list;
            Decode(0);
            _pos = -1;
            return;
        }
        _index = list;
        _data = list + (long)_blocks * SegmentFormat.BlockEntrySize;
        _block = -1;
        _pos = 0;
        _n = 0;
    }

    /// <summary>Blocks in the list.</summary>
    public int BlockCount => _blocks;

    /// <summary>The last document of a block.</summary>
    public int BlockLastDoc(int block) => _index == null ? _docs[_n - 1] : *(int*)(_index + (long)block * SegmentFormat.BlockEntrySize);

    /// <summary>
    /// The largest tf / (tf + normConstant + normPerLength · length) any document of the block can reach
    /// (BM25's saturation with the query's length normalisation), from the block's dominating impacts.
    /// </summary>
    public double MaxSaturation(int block, double normConstant, double normPerLength)
    {
        double best = 0;
        if (_index == null)
        {
            for (int k = 0; k < _singleImpacts; k++)
                best = Math.Max(best, Saturation(_singleTf[k], _singleLength[k], normConstant, normPerLength));
            return best;
        }
        ushort* pairs = (ushort*)(_index + (long)block * SegmentFormat.BlockEntrySize + 8);
        for (int k = 0; k < SegmentFormat.ImpactsPerBlock; k++)
            best = Math.Max(best, Saturation(pairs[2 * k], pairs[2 * k + 1], normConstant, normPerLength));
        return best;
    }

    private static double Saturation(int tf, int length, double normConstant, double normPerLength) =>
        tf >= ushort.MaxValue ? 1.0 : tf / (tf + normConstant + normPerLength * length);

    /// <summary>The largest saturation any document of the whole list can reach (see <see cref="MaxSaturation"/>).</summary>
    public double ListMaxSaturation(double normConstant, double normPerLength)
    {
        double best = 0;
        for (int k = 0; k < _singleImpacts; k++)
            best = Math.Max(best, Saturation(_singleTf[k], _singleLength[k], normConstant, normPerLength));
        return best;
    }

    /// <summary>The largest term frequency stored for a block (a bound; 65535 means at least that).</summary>
    public int BlockMaxFrequency(int block)
    {
        if (_index == null) return _singleImpacts == 0 ? 0 : _singleTf[0];
        return *(ushort*)(_index + (long)block * SegmentFormat.BlockEntrySize + 8);
    }

    /// <summary>The smallest field length stored for a block (a bound).</summary>
    public int BlockMinLength(int block)
    {
        if (_index == null) return _singleImpacts == 0 ? 0 : _singleLength[_singleImpacts - 1];
        return *(ushort*)(_index + (long)block * SegmentFormat.BlockEntrySize + 8 + 4 * (SegmentFormat.ImpactsPerBlock - 1) + 2);
    }

    /// <summary>The block that would hold <paramref name="target"/> (from the current block on), or -1 past the end.</summary>
    public int BlockFor(int target)
    {
        int lo = Math.Max(_block, 0), hi = _blocks - 1;
        if (BlockLastDoc(hi) < target) return -1;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (BlockLastDoc(mid) < target) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private void Decode(int block)
    {
        byte* p = _index == null ? _data : _data + *(int*)(_index + (long)block * SegmentFormat.BlockEntrySize + 4);
        int n = Math.Min(SegmentFormat.BlockSize, _count - block * SegmentFormat.BlockSize);
        int docBits = p[0], tfBits = p[1];
        p += 2;
        p += BitPacking.Unpack(p, docBits, _docs.AsSpan(0, n));
        BitPacking.Unpack(p, tfBits, _tfs.AsSpan(0, n));
        int prev = block == 0 ? -1 : *(int*)(_index + (long)(block - 1) * SegmentFormat.BlockEntrySize);
        for (int i = 0; i < n; i++)
        {
            prev += _docs[i] + 1;
            _docs[i] = prev;
            _tfs[i]++;
        }
        _block = block;
        _n = n;
        _pos = 0;
    }

    /// <summary>Moves to the next document.</summary>
    public int Next()
    {
        if (Doc == NoMoreDocs) return Doc;
        if (_block >= 0 && _pos + 1 < _n)
        {
            _pos++;
            return Doc = _docs[_pos];
        }
        int next = _block + 1;
        if (next >= _blocks) return Doc = NoMoreDocs;
        Decode(next);
        return Doc = _docs[0];
    }

    /// <summary>Moves to the first document at or after <paramref name="target"/>.</summary>
    public int Advance(int target)
    {
        if (Doc >= target) return Doc;
        if (_block < 0 || _docs[_n - 1] < target)
        {
            int b = BlockFor(target);
            if (b < 0) return Doc = NoMoreDocs;
            if (b != _block) Decode(b);
        }
        // Linear scan inside the decoded block (128 entries at most).
        int pos = Math.Max(_pos, 0);
        while (_docs[pos] < target) pos++;
        _pos = pos;
        return Doc = _docs[pos];
    }
}
