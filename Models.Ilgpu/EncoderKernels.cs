using ILGPU;
using Search.GpuAttention.Ilgpu;

namespace Search.Models.Ilgpu;

/// <summary>
/// The device kernels of a BERT encoder pass over packed rows (row r is one real token of one sequence; padding is
/// never stored), besides the matrix product (<see cref="MatMulKernel"/>): embedding lookup, residual LayerNorm, and
/// bidirectional attention of each sequence over its own rows. Every layer stays in device memory between them.
/// </summary>
internal static class EncoderKernels
{
    // Attention: one group per (run of up to QueryTile rows of one sequence, head), one thread per query row; key and
    // value tiles of KeyTile rows are staged in shared memory and read by every thread at the same address.
    public const int QueryTile = 64, KeyTile = 32, MaxHeadDim = 128;
    public const int TileFields = 3;
    public const int SequenceStart = 0, SequenceLength = 1, FirstRow = 2;

    /// <summary>x[r] = word[ids[r]] + position[positions[r]] + type[0], over rows × hidden elements.</summary>
    public static void Embed(Index1D i, int hidden, ArrayView<int> ids, ArrayView<int> positions, ArrayView<float> word,
        ArrayView<float> position, ArrayView<float> type, ArrayView<float> x)
    {
        int r = i / hidden, c = i - r * hidden;
        x[i] = word[(long)ids[r] * hidden + c] + position[(long)positions[r] * hidden + c] + type[c];
    }

    /// <summary>x[r] = LayerNorm(x[r] + y[r]) (y left out when <see cref="NormArgs.Residual"/> is 0); one group per row.</summary>
    public static void AddLayerNorm(NormArgs args, ArrayView<float> x, ArrayView<float> y, ArrayView<float> weight, ArrayView<float> bias)
    {
        var partial = SharedMemory.Allocate<float>(GroupSum.Threads);
        int t = Group.IdxX, width = args.Width;
        long row = (long)Grid.IdxX * width;
        float sum = 0f;
        for (int c = t; c < width; c += GroupSum.Threads)
        {
            float v = args.Residual != 0 ? x[row + c] + y[row + c] : x[row + c];
            x[row + c] = v;
            sum += v;
        }
        float mean = GroupSum.Of(partial, sum, t) / width;
        float squares = 0f;
        for (int c = t; c < width; c += GroupSum.Threads)
        {
            float d = x[row + c] - mean;
            squares += d * d;
        }
        float inverse = DeviceMath.InverseSqrt(GroupSum.Of(partial, squares, t) / width + args.Epsilon);
        for (int c = t; c < width; c += GroupSum.Threads) x[row + c] = (x[row + c] - mean) * inverse * weight[c] + bias[c];
    }

    /// <summary>
    /// Bidirectional attention over packed rows of [q | k | v] (each hidden wide, head h at columns h·d): context[r]
    /// gets each head's softmax(q·kᵀ/√d)·v over the rows of r's own sequence, with an online softmax over key tiles.
    /// Launched over (tiles × heads) groups of <see cref="QueryTile"/> threads.
    /// </summary>
    public static void Attention(EncoderAttentionArgs args, ArrayView<int> tiles, ArrayView<float> qkv, ArrayView<float> context)
    {
        var keys = SharedMemory.Allocate<float>(KeyTile * MaxHeadDim);
        var values = SharedMemory.Allocate<float>(KeyTile * MaxHeadDim);
        var q = LocalMemory.Allocate<float>(MaxHeadDim);
        var acc = LocalMemory.Allocate<float>(MaxHeadDim);
        var scores = LocalMemory.Allocate<float>(KeyTile);
        int t = Group.IdxX;
        int tile = Grid.IdxX / args.Heads, head = Grid.IdxX - tile * args.Heads;
        long tb = (long)tile * TileFields;
        int start = tiles[tb + SequenceStart], length = tiles[tb + SequenceLength], first = tiles[tb + FirstRow];
        int d = args.HeadDim, hidden = args.Hidden;
        long stride = 3L * hidden;
        bool active = first + t < length;
        long queryAt = (start + first + t) * stride + head * d;
        for (int c = 0; c < d; c++)
        {
            q[c] = active ? qkv[queryAt + c] * args.Scale : 0f;
            acc[c] = 0f;
        }
        float max = float.NegativeInfinity, sum = 0f;
        for (int k0 = 0; k0 < length; k0 += KeyTile)
        {
            int n = length - k0 < KeyTile ? length - k0 : KeyTile;
            Group.Barrier();
            for (int e = t; e < n * d; e += QueryTile)
            {
                int j = e / d, c = e - j * d;
                long at = (start + k0 + j) * stride + head * d + c;
                keys[e] = qkv[at + hidden];
                values[e] = qkv[at + 2 * hidden];
            }
            Group.Barrier();
            if (!active) continue;
            float tileMax = float.NegativeInfinity;
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                int kj = j * d;
                for (int c = 0; c < d; c++) s += q[c] * keys[kj + c];
                scores[j] = s;
                if (s > tileMax) tileMax = s;
            }
            float newMax = tileMax > max ? tileMax : max;
            float alpha = DeviceMath.ExpNonPositive(max - newMax);
            sum *= alpha;
            for (int c = 0; c < d; c++) acc[c] *= alpha;
            for (int j = 0; j < n; j++)
            {
                float p = DeviceMath.ExpNonPositive(scores[j] - newMax);
                sum += p;
                int vj = j * d;
                for (int c = 0; c < d; c++) acc[c] += p * values[vj + c];
            }
            max = newMax;
        }
        if (!active) return;
        long outAt = (long)(start + first + t) * hidden + head * d;
        float inverse = 1f / sum;
        for (int c = 0; c < d; c++) context[outAt + c] = acc[c] * inverse;
    }
}

/// <summary>The scalar arguments of one <see cref="EncoderKernels.AddLayerNorm"/> launch.</summary>
internal struct NormArgs
{
    public int Width;
    public int Residual;
    public float Epsilon;
}

/// <summary>The scalar arguments of one <see cref="EncoderKernels.Attention"/> launch.</summary>
internal struct EncoderAttentionArgs
{
    public int Heads;
    public int HeadDim;
    public int Hidden;
    public float Scale;
}
