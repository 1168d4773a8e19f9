using ILGPU;

namespace Search.GpuAttention.Ilgpu;

/// <summary>
/// The device attention kernels. <see cref="Run"/>: one thread group per job (one head's run of up to
/// <see cref="QueryTile"/> query rows against a list of key ranges), one thread per query row. Key and value tiles are staged in shared memory
/// (widened from fp16/bf16 as they are loaded) and read by every thread at the same address (a broadcast); each
/// thread keeps its query row, its output accumulator and its online-softmax state (running max, running sum, and
/// the current range's block-local sum for masses), so K/V are read once per tile and memory is O(tile). A job may
/// hold only part of its rows' keys (split-K, as flash-decoding does for few query rows against many keys): it then
/// leaves its unnormalised state in scratch, and <see cref="Combine"/> merges the parts of each row.
/// </summary>
internal static class AttentionKernel
{
    public const int QueryTile = 64;
    public const int KeyTile = 32;
    public const int MaxHeadDim = 128;

    // Fields of one key range in the ranges buffer.
    public const int RangeFields = 12;
    public const int KeyBase = 0, ValueBase = 1, KeyArena = 2, ValueArena = 3, HeadStride = 4, TokenStart = 5, Count = 6, Causal = 7,
        KeyPosition = 8, MassSlot = 9, RopeOffset = 10, Pairing = 11;

    // Fields of one job in the jobs buffer.
    public const int JobFields = 9;
    public const int Head = 0, KvHead = 1, Row0 = 2, Rows = 3, Position0 = 4, RangeFirst = 5, RangeCount = 6, ScratchOffset = 7, Partial = 8;

    // Fields of one row tile whose keys were split over several jobs: the first of its consecutive jobs, and their number.
    public const int OriginFields = 2;
    public const int FirstJob = 0, Splits = 1;

    /// <summary>The most jobs one row tile's keys are split over (the combine keeps one weight per part).</summary>
    public const int MaxSplits = 64;

    // Storage of a tensor in the pool: the fp32 arena, or the 16-bit arena holding fp16 or bf16 bit patterns.
    public const int Single = 0, Half16 = 1, BFloat = 2;

    private const float NegativeInfinity = float.NegativeInfinity;

    /// <summary>Launched over (jobs, <see cref="QueryTile"/>) groups.</summary>
    public static void Run(AttentionArgs args, ArrayView<float> query, ArrayView<float> kvSingle, ArrayView<ushort> kvHalf,
        ArrayView<int> jobs, ArrayView<int> ranges, ArrayView<float> work, ArrayView<float> output, ArrayView<float> masses)
    {
        var keyTile = SharedMemory.Allocate<float>(KeyTile * MaxHeadDim);
        var valueTile = SharedMemory.Allocate<float>(KeyTile * MaxHeadDim);
        var q = LocalMemory.Allocate<float>(MaxHeadDim);
        var qr = LocalMemory.Allocate<float>(MaxHeadDim);
        var acc = LocalMemory.Allocate<float>(MaxHeadDim);
        var scores = LocalMemory.Allocate<float>(KeyTile);

        int t = Group.IdxX, threads = Group.DimX;
        long jb = (long)Grid.IdxX * JobFields;
        int head = jobs[jb + Head], kvHead = jobs[jb + KvHead], row0 = jobs[jb + Row0], rows = jobs[jb + Rows];
        int position0 = jobs[jb + Position0], rangeFirst = jobs[jb + RangeFirst], rangeCount = jobs[jb + RangeCount], scratch = jobs[jb + ScratchOffset];
        int partial = jobs[jb + Partial];
        int d = args.HeadDim;
        bool active = t < rows;
        int position = position0 + t, lastPosition = position0 + rows - 1;
        long rowOffset = ((long)head * args.QueryTokens + row0 + t) * d;

        for (int c = 0; c < d; c++)
        {
            q[c] = active ? query[rowOffset + c] * args.Scale : 0f;
            acc[c] = 0f;
        }
        float max = NegativeInfinity, sum = 0f;

        for (int r = 0; r < rangeCount; r++)
        {
            long rb = (long)(rangeFirst + r) * RangeFields;
            int keyArena = ranges[rb + KeyArena], valueArena = ranges[rb + ValueArena];
            long stride = ranges[rb + HeadStride];
            long keyRows = ranges[rb + KeyBase] + kvHead * stride + (long)ranges[rb + TokenStart] * d;
            long valueRows = ranges[rb + ValueBase] + kvHead * stride + (long)ranges[rb + TokenStart] * d;
            int count = ranges[rb + Count], keyPosition = ranges[rb + KeyPosition], rope = ranges[rb + RopeOffset];
            bool causal = ranges[rb + Causal] != 0;

            if (rope >= 0)
            {
                // Rotating the query by -delta equals re-encoding the cached keys by +delta (see KeyRange).
                int half = d / 2;
                bool interleaved = ranges[rb + Pairing] != 0;
                for (int i = 0; i < half; i++)
                {
                    int a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + half;
                    float cos = work[rope + i], sin = work[rope + half + i];
                    float x = q[a], y = q[b];
                    qr[a] = x * cos - y * sin;
                    qr[b] = y * cos + x * sin;
                }
            }
            else
            {
                for (int c = 0; c < d; c++) qr[c] = q[c];
            }

            float blockSum = 0f;
            for (int k0 = 0; k0 < count; k0 += KeyTile)
            {
                if (causal && keyPosition + k0 > lastPosition) break; // the same for every thread of the group
                int n = count - k0 < KeyTile ? count - k0 : KeyTile;
                Group.Barrier();
                for (int e = t; e < n * d; e += threads)
                {
                    keyTile[e] = Load(kvSingle, kvHalf, keyArena, keyRows + (long)k0 * d + e);
                    if (args.WithOutput != 0) valueTile[e] = Load(kvSingle, kvHalf, valueArena, valueRows + (long)k0 * d + e);
                }
                Group.Barrier();
                if (!active) continue;

                // Four keys at a time: one read of the query element feeds four independent sums (each still summed in
                // element order, so the result is what one key at a time gives).
                float tileMax = NegativeInfinity;
                int j = 0;
                for (; j + 4 <= n; j += 4)
                {
                    int k0j = j * d, k1j = k0j + d, k2j = k1j + d, k3j = k2j + d;
                    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                    for (int c = 0; c < d; c++)
                    {
                        float x = qr[c];
                        s0 += x * keyTile[k0j + c];
                        s1 += x * keyTile[k1j + c];
                        s2 += x * keyTile[k2j + c];
                        s3 += x * keyTile[k3j + c];
                    }
                    if (causal)
                    {
                        int p = keyPosition + k0 + j;
                        if (p > position) s0 = NegativeInfinity;
                        if (p + 1 > position) s1 = NegativeInfinity;
                        if (p + 2 > position) s2 = NegativeInfinity;
                        if (p + 3 > position) s3 = NegativeInfinity;
                    }
                    scores[j] = s0;
                    scores[j + 1] = s1;
                    scores[j + 2] = s2;
                    scores[j + 3] = s3;
                    if (s0 > tileMax) tileMax = s0;
                    if (s1 > tileMax) tileMax = s1;
                    if (s2 > tileMax) tileMax = s2;
                    if (s3 > tileMax) tileMax = s3;
                }
                for (; j < n; j++)
                {
                    float s = NegativeInfinity;
                    if (!causal || keyPosition + k0 + j <= position)
                    {
                        s = 0f;
                        int kj = j * d;
                        for (int c = 0; c < d; c++) s += qr[c] * keyTile[kj + c];
                    }
                    scores[j] = s;
                    if (s > tileMax) tileMax = s;
                }
                float newMax = tileMax > max ? tileMax : max;
                // A row that has seen nothing yet keeps max -inf; shifting by 0 keeps exp(-inf) = 0 instead of NaN.
                float shift = newMax == NegativeInfinity ? 0f : newMax;
                float alpha = DeviceMath.ExpNonPositive(max - shift);
                float tileSum = 0f;
                for (int e = 0; e < n; e++)
                {
                    float p = DeviceMath.ExpNonPositive(scores[e] - shift);
                    scores[e] = p;
                    tileSum += p;
                }
                sum = sum * alpha + tileSum;
                blockSum = blockSum * alpha + tileSum;
                max = newMax;
                if (args.WithOutput == 0) continue;
                // P·V four keys at a time, in key order per element as one at a time would add them.
                for (int c = 0; c < d; c++) acc[c] *= alpha;
                int v0 = 0;
                for (; v0 + 4 <= n; v0 += 4)
                {
                    float p0 = scores[v0], p1 = scores[v0 + 1], p2 = scores[v0 + 2], p3 = scores[v0 + 3];
                    int a0 = v0 * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
                    for (int c = 0; c < d; c++)
                        acc[c] = acc[c] + p0 * valueTile[a0 + c] + p1 * valueTile[a1 + c] + p2 * valueTile[a2 + c] + p3 * valueTile[a3 + c];
                }
                for (; v0 < n; v0++)
                {
                    float p = scores[v0];
                    int a = v0 * d;
                    for (int c = 0; c < d; c++) acc[c] += p * valueTile[a + c];
                }
            }
            if (scratch >= 0 && active)
            {
                long slot = scratch + ((long)r * QueryTile + t) * 2;
                work[slot] = blockSum;
                work[slot + 1] = max;
            }
        }

        if (!active) return;
        if (partial >= 0)
        {
            // Part of the row's keys: the combine normalises, and reads this job's per-range sums for the masses.
            long at = partial + (long)t * (2 + d);
            work[at] = max;
            work[at + 1] = sum;
            if (args.WithOutput != 0)
                for (int c = 0; c < d; c++) work[at + 2 + c] = acc[c];
            return;
        }
        if (args.WithOutput != 0)
        {
            float inverse = sum > 0f ? 1f / sum : 0f;
            long outputOffset = OutputOffset(args, head, row0 + t);
            for (int c = 0; c < d; c++) output[outputOffset + c] = acc[c] * inverse;
        }
        int massRow = row0 + t - args.MassStart;
        if (scratch < 0 || massRow < 0 || massRow >= args.MassCount || !(sum > 0f)) return;
        long target = ((long)head * args.MassCount + massRow) * args.MassBlocks;
        for (int r = 0; r < rangeCount; r++)
        {
            int slot = ranges[(long)(rangeFirst + r) * RangeFields + MassSlot];
            if (slot < 0) continue;
            long at = scratch + ((long)r * QueryTile + t) * 2;
            float blockSum = work[at];
            // The block's sum was kept relative to the running max when the block ended; bring it to the final max.
            if (blockSum > 0f) masses[target + slot] = blockSum * DeviceMath.ExpNonPositive(work[at + 1] - max) / sum;
        }
    }

    /// <summary>
    /// Launched over (split row tiles, <see cref="QueryTile"/>) groups after <see cref="Run"/>: merges each row's parts
    /// (running max, sum and unnormalised output of each job) into its output and its block masses.
    /// </summary>
    public static void Combine(AttentionArgs args, ArrayView<int> origins, ArrayView<int> jobs, ArrayView<int> ranges, ArrayView<float> work,
        ArrayView<float> output, ArrayView<float> masses)
    {
        var weights = LocalMemory.Allocate<float>(MaxSplits);
        int t = Group.IdxX;
        long ob = (long)Grid.IdxX * OriginFields;
        int firstJob = origins[ob + FirstJob], splits = origins[ob + Splits];
        long first = (long)firstJob * JobFields;
        int head = jobs[first + Head], row0 = jobs[first + Row0], rows = jobs[first + Rows];
        if (t >= rows) return;
        int d = args.HeadDim;
        long stride = 2 + d;

        float max = NegativeInfinity;
        for (int s = 0; s < splits; s++)
        {
            float m = work[jobs[(long)(firstJob + s) * JobFields + Partial] + t * stride];
            if (m > max) max = m;
        }
        float sum = 0f;
        for (int s = 0; s < splits; s++)
        {
            long at = jobs[(long)(firstJob + s) * JobFields + Partial] + t * stride;
            // A part that saw no key keeps max -inf and sum 0: it weighs nothing.
            float w = max == NegativeInfinity ? 0f : DeviceMath.ExpNonPositive(work[at] - max);
            weights[s] = w;
            sum += work[at + 1] * w;
        }
        if (args.WithOutput != 0)
        {
            float inverse = sum > 0f ? 1f / sum : 0f;
            long outputOffset = OutputOffset(args, head, row0 + t);
            for (int c = 0; c < d; c++)
            {
                float v = 0f;
                for (int s = 0; s < splits; s++)
                    v += work[jobs[(long)(firstJob + s) * JobFields + Partial] + t * stride + 2 + c] * weights[s];
                output[outputOffset + c] = v * inverse;
            }
        }
        int massRow = row0 + t - args.MassStart;
        if (massRow < 0 || massRow >= args.MassCount || !(sum > 0f)) return;
        long target = ((long)head * args.MassCount + massRow) * args.MassBlocks;
        for (int s = 0; s < splits; s++)
        {
            long jb = (long)(firstJob + s) * JobFields;
            int scratch = jobs[jb + ScratchOffset], rangeFirst = jobs[jb + RangeFirst], rangeCount = jobs[jb + RangeCount];
            if (scratch < 0) continue;
            for (int r = 0; r < rangeCount; r++)
            {
                int slot = ranges[(long)(rangeFirst + r) * RangeFields + MassSlot];
                if (slot < 0) continue;
                long at = scratch + ((long)r * QueryTile + t) * 2;
                float blockSum = work[at];
                // A block cut over several parts gets each part's share.
                if (blockSum > 0f) masses[target + slot] += blockSum * DeviceMath.ExpNonPositive(work[at + 1] - max) / sum;
            }
        }
    }

    // Head-major [heads][queryTokens][headDim] (the interface's layout), or token-major [queryTokens][heads·headDim], the
    // layout a decoder's output projection reads, when the output stays on the device for it.
    private static long OutputOffset(AttentionArgs args, int head, int row) =>
        args.TokenMajorOutput != 0 ? ((long)row * args.Heads + head) * args.HeadDim : ((long)head * args.QueryTokens + row) * args.HeadDim;

    private static float Load(ArrayView<float> single, ArrayView<ushort> half, int arena, long index)
    {
        if (arena == Single) return single[index];
        uint bits = half[index];
        return arena == BFloat ? Interop.IntAsFloat(bits << 16) : HalfToSingle(bits);
    }

    /// <summary>IEEE half bits to float, subnormals, infinities and NaN included.</summary>
    internal static float HalfToSingle(uint bits)
    {
        uint sign = (bits & 0x8000u) << 16, exponent = (bits >> 10) & 0x1Fu, mantissa = bits & 0x3FFu;
        if (exponent == 0x1Fu) return Interop.IntAsFloat(sign | 0x7F800000u | (mantissa << 13));
        if (exponent != 0) return Interop.IntAsFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
        float magnitude = mantissa * 5.96046448e-8f; // 2^-24
        return sign != 0 ? -magnitude : magnitude;
    }
}

/// <summary>The scalar arguments of one <see cref="AttentionKernel"/> launch.</summary>
internal struct AttentionArgs
{
    public int QueryTokens;
    public int HeadDim;
    public float Scale;
    public int WithOutput;
    public int MassStart;
    public int MassCount;
    public int MassBlocks;
    public int Heads;
    public int TokenMajorOutput;
}
