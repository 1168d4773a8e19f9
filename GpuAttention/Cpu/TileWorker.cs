using System.Runtime.Intrinsics;

namespace Search.GpuAttention.Cpu;

/// <summary>
/// Computes one query tile (up to <see cref="QueryTile"/> rows of one head, or of several heads of a GQA group) against key ranges with a
/// FlashAttention-style online softmax: scores are formed transposed (keys × query rows) so the running max,
/// exponentials and sums are vectorized across query rows, and memory stays O(tile). One worker per thread.
/// </summary>
internal sealed unsafe class TileWorker
{
    public const int QueryTile = 64;
    public const int KeyTile = 64;

    [ThreadStatic] private static TileWorker? t_worker;

    private readonly int _headDim;
    private readonly float[] _baseT;       // scaled queries transposed, [d][QueryTile]
    private readonly float[] _rotatedT;    // rotated queries transposed, [d][QueryTile]
    private readonly float[] _scores;      // [KeyTile][QueryTile]: scores, then probabilities
    private readonly float[] _acc;         // unnormalised output, [QueryTile][d]
    private readonly float[] _keys;        // a widened fp16/bf16 key tile, [KeyTile][d]
    private readonly float[] _values;      // a widened value tile
    private readonly float[] _max = new float[QueryTile], _sum = new float[QueryTile], _alpha = new float[QueryTile], _blockSum = new float[QueryTile];
    private float[] _massSum = [], _massMax = [];

    private TileWorker(int headDim)
    {
        _headDim = headDim;
        _baseT = Pinned(headDim * QueryTile);
        _rotatedT = Pinned(headDim * QueryTile);
        _scores = Pinned(KeyTile * QueryTile);
        _acc = Pinned(QueryTile * headDim);
        _keys = Pinned(KeyTile * headDim);
        _values = Pinned(KeyTile * headDim);
    }

    public static TileWorker For(int headDim, int ranges)
    {
        var worker = t_worker;
        if (worker is null || worker._headDim != headDim) t_worker = worker = new TileWorker(headDim);
        if (worker._massSum.Length < ranges * QueryTile)
        {
            worker._massSum = new float[ranges * QueryTile];
            worker._massMax = new float[ranges * QueryTile];
        }
        return worker;
    }

    /// <summary>
    /// Rows [row0, row0 + rowsPerHead) of query heads firstHead … firstHead + headCount − 1, stacked into one tile
    /// (row i of head firstHead + k is tile row k·rowsPerHead + i, at position position0 + i), against
    /// <paramref name="ranges"/> of key/value head <paramref name="kvHead"/>, which all those heads share (GQA).
    /// Writes the normalised output rows and, for rows inside <paramref name="massRows"/>, their per-slot masses.
    /// </summary>
    public void Run(float[] query, int queryTokens, int firstHead, int headCount, int kvHead, int row0, int rowsPerHead, int position0, float scale,
        KeyRange[] ranges, float[]? output, BlockMasses? masses, RowRange massRows)
    {
        int d = _headDim, rows = headCount * rowsPerHead, padded = (rows + 7) & ~7;
        var tile = new TileRows(firstHead, headCount, rowsPerHead, row0, position0, queryTokens);
        fixed (float* q = query, o = output, baseT = _baseT, rotT = _rotatedT, acc = _acc)
        {
            TransposeScaled(q, tile, padded, scale, baseT);
            new Span<float>(acc, rows * d).Clear();
            _max.AsSpan().Fill(float.NegativeInfinity);
            _sum.AsSpan().Clear();

            for (int r = 0; r < ranges.Length; r++)
            {
                var range = ranges[r];
                float* queriesT = baseT;
                if (range.Rope is not null && range.Count > 0)
                {
                    // Rotating the tile's queries by -delta equals rotating the range's keys by +delta, at 1/blockLength of the cost;
                    // in the transposed tile a rotation is two vector rows per element pair.
                    RotateTransposed(baseT, rotT, padded, range.Rope.Pairing, range.Cos!, range.Sin!);
                    queriesT = rotT;
                }
                _blockSum.AsSpan().Clear();
                ProcessRange(range, kvHead, queriesT, tile, padded, output is null ? null : acc);
                _blockSum.AsSpan(0, padded).CopyTo(_massSum.AsSpan(r * QueryTile));
                _max.AsSpan(0, padded).CopyTo(_massMax.AsSpan(r * QueryTile));
            }

            for (int i = 0; i < rows && o != null; i++)
            {
                float* target = o + tile.Offset(i) * d;
                float l = _sum[i];
                ScaleInto(acc + i * d, target, d, l > 0 ? 1f / l : 0f);
            }
            if (masses is not null) WriteMasses(ranges, tile, masses, massRows);
        }
    }

    /// <summary>Where a tile's rows come from: consecutive heads of one GQA group, the same query rows of each.</summary>
    private readonly record struct TileRows(int FirstHead, int HeadCount, int RowsPerHead, int Row0, int Position0, int QueryTokens)
    {
        public int Rows => HeadCount * RowsPerHead;

        public int Head(int i) => FirstHead + i / RowsPerHead;

        public int Row(int i) => Row0 + i % RowsPerHead;

        /// <summary>Element row of tile row i in the [heads][queryTokens] query and output arrays.</summary>
        public long Offset(int i) => (long)Head(i) * QueryTokens + Row(i);
    }

    private void ProcessRange(in KeyRange range, int kvHead, float* queriesT, TileRows tile, int padded, float* acc)
    {
        int d = _headDim, rows = tile.Rows, position0 = tile.Position0;
        int lastQuery = position0 + tile.RowsPerHead - 1;
        var keysTensor = range.Keys;
        var valuesTensor = range.Values;
        fixed (float* scores = _scores, keyTile = _keys, valueTile = _values, kStore = keysTensor.SingleStorage, vStore = valuesTensor.SingleStorage)
        {
            for (int k0 = 0; k0 < range.Count; k0 += KeyTile)
            {
                int n = Math.Min(KeyTile, range.Count - k0);
                int firstKey = range.KeyPosition + k0;
                if (range.Causal && firstKey > lastQuery) break;
                int token = range.TokenStart + k0;
                long offset = ((long)kvHead * keysTensor.Tokens + token) * d;
                float* keys = kStore != null ? kStore + offset : Widen(keysTensor, kvHead, token, n, keyTile);
                TileGemm.Multiply(keys, d, 1, queriesT, QueryTile, scores, QueryTile, n, padded, d, accumulate: false);
                if (range.Causal && firstKey + n - 1 > position0) MaskFuture(scores, n, tile, firstKey);
                Softmax(scores, n, padded);
                if (acc == null) continue; // masses only: the softmax statistics are all that is needed
                for (int i = 0; i < rows; i++)
                {
                    float alpha = _alpha[i];
                    if (alpha != 1f) Scale(acc + i * d, d, alpha);
                }
                float* values = vStore != null ? vStore + offset : Widen(valuesTensor, kvHead, token, n, valueTile);
                TileGemm.Multiply(scores, 1, QueryTile, values, d, acc, d, rows, d, n, accumulate: true);
            }
        }
    }

    // Online softmax over one tile, eight (or sixteen) query rows per vector: new max, probabilities in place, rescale factors.
    private void Softmax(float* scores, int n, int padded)
    {
        fixed (float* max = _max, sum = _sum, alpha = _alpha, blockSum = _blockSum)
        {
            int g = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var negativeInfinity = Vector512.Create(float.NegativeInfinity);
                for (; g + 16 <= padded; g += 16)
                {
                    var tileMax = negativeInfinity;
                    for (int j = 0; j < n; j++) tileMax = Vector512.Max(tileMax, Vector512.Load(scores + j * QueryTile + g));
                    var oldMax = Vector512.Load(max + g);
                    var newMax = Vector512.Max(oldMax, tileMax);
                    var shift = Vector512.ConditionalSelect(Vector512.Equals(newMax, negativeInfinity), Vector512<float>.Zero, newMax);
                    var tileSum = Vector512<float>.Zero;
                    for (int j = 0; j < n; j++)
                    {
                        float* s = scores + j * QueryTile + g;
                        var p = NonPositiveExp.Exp(Vector512.Load(s) - shift);
                        p.Store(s);
                        tileSum += p;
                    }
                    var rescale = NonPositiveExp.Exp(oldMax - shift);
                    (Vector512.Load(sum + g) * rescale + tileSum).Store(sum + g);
                    (Vector512.Load(blockSum + g) * rescale + tileSum).Store(blockSum + g);
                    rescale.Store(alpha + g);
                    newMax.Store(max + g);
                }
            }
            var negativeInfinity256 = Vector256.Create(float.NegativeInfinity);
            for (; g < padded; g += 8)
            {
                var tileMax = negativeInfinity256;
                for (int j = 0; j < n; j++) tileMax = Vector256.Max(tileMax, Vector256.Load(scores + j * QueryTile + g));
                var oldMax = Vector256.Load(max + g);
                var newMax = Vector256.Max(oldMax, tileMax);
                // A row with nothing visible yet keeps max -inf; subtracting 0 instead keeps exp(-inf) = 0 and avoids NaN.
                var shift = Vector256.ConditionalSelect(Vector256.Equals(newMax, negativeInfinity256), Vector256<float>.Zero, newMax);
                var tileSum = Vector256<float>.Zero;
                for (int j = 0; j < n; j++)
                {
                    float* s = scores + j * QueryTile + g;
                    var p = NonPositiveExp.Exp(Vector256.Load(s) - shift);
                    p.Store(s);
                    tileSum += p;
                }
                var rescale = NonPositiveExp.Exp(oldMax - shift);
                (Vector256.Load(sum + g) * rescale + tileSum).Store(sum + g);
                (Vector256.Load(blockSum + g) * rescale + tileSum).Store(blockSum + g);
                rescale.Store(alpha + g);
                newMax.Store(max + g);
            }
        }
    }

    private void RotateTransposed(float* source, float* target, int padded, RotaryPairing pairing, float[] cos, float[] sin)
    {
        int half = _headDim / 2;
        for (int i = 0; i < half; i++)
        {
            int a = pairing == RotaryPairing.RotateHalf ? i : 2 * i;
            int b = pairing == RotaryPairing.RotateHalf ? i + half : 2 * i + 1;
            var c = Vector256.Create(cos[i]);
            var s = Vector256.Create(sin[i]);
            float* xa = source + a * QueryTile, xb = source + b * QueryTile, ya = target + a * QueryTile, yb = target + b * QueryTile;
            for (int g = 0; g < padded; g += 8)
            {
                var x = Vector256.Load(xa + g);
                var y = Vector256.Load(xb + g);
                (x * c - y * s).Store(ya + g);
                (y * c + x * s).Store(yb + g);
            }
        }
    }

    private static void MaskFuture(float* scores, int n, TileRows tile, int firstKey)
    {
        for (int j = 0; j < n; j++)
        {
            // A head's row i sees key j only when firstKey + j <= position0 + i.
            int hidden = Math.Min(tile.RowsPerHead, firstKey + j - tile.Position0);
            for (int k = 0; k < tile.HeadCount; k++)
            {
                float* s = scores + j * QueryTile + k * tile.RowsPerHead;
                for (int i = 0; i < hidden; i++) s[i] = float.NegativeInfinity;
            }
        }
    }

    private void WriteMasses(KeyRange[] ranges, TileRows tile, BlockMasses masses, RowRange massRows)
    {
        for (int i = 0; i < tile.Rows; i++)
        {
            int row = tile.Row(i) - massRows.Start;
            if ((uint)row >= (uint)massRows.Count) continue;
            var target = masses.HeadRow(tile.Head(i), row);
            float l = _sum[i], finalMax = _max[i];
            if (!(l > 0)) continue;
            for (int r = 0; r < ranges.Length; r++)
            {
                if (ranges[r].MassSlot < 0) continue;
                float blockSum = _massSum[r * QueryTile + i];
                if (blockSum > 0) target[ranges[r].MassSlot] += blockSum * MathF.Exp(_massMax[r * QueryTile + i] - finalMax) / l;
            }
        }
    }

    private float* Widen(KvTensor tensor, int kvHead, int token, int n, float* tile)
    {
        tensor.Read(kvHead, token, n, new Span<float>(tile, n * _headDim));
        return tile;
    }

    private void TransposeScaled(float* query, TileRows tile, int padded, float scale, float* transposed)
    {
        int d = _headDim;
        for (int i = 0; i < tile.Rows; i++)
        {
            float* row = query + tile.Offset(i) * d;
            for (int c = 0; c < d; c++) transposed[c * QueryTile + i] = row[c] * scale;
        }
        for (int c = 0; c < d; c++)
            for (int i = tile.Rows; i < padded; i++) transposed[c * QueryTile + i] = 0f;
    }

    private static void ScaleInto(float* source, float* target, int n, float factor)
    {
        int c = 0;
        var f = Vector256.Create(factor);
        for (; c + 8 <= n; c += 8) (Vector256.Load(source + c) * f).Store(target + c);
        for (; c < n; c++) target[c] = source[c] * factor;
    }

    private static void Scale(float* row, int n, float factor)
    {
        int c = 0;
        var f = Vector256.Create(factor);
        for (; c + 8 <= n; c += 8) (Vector256.Load(row + c) * f).Store(row + c);
        for (; c < n; c++) row[c] *= factor;
    }

    private static float[] Pinned(int length) => GC.AllocateArray<float>(length, pinned: true);
}
