using Search.GpuAttention.Cpu;

namespace Search.GpuAttention;

/// <summary>
/// Keys or values of one sequence, laid out [kvHeads][tokens][headDim] (row-major, a head's tokens contiguous)
/// and stored as fp32, fp16, bf16 or int8 with a scale per row; the kernels widen tiles to fp32 as they load them.
/// </summary>
public sealed class KvTensor
{
    private readonly float[]? _single;
    private readonly ushort[]? _bits;
    private readonly sbyte[]? _int8;
    private readonly float[]? _scales;

    private KvTensor(int heads, int tokens, int headDim, KvPrecision precision)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        Heads = heads;
        Tokens = tokens;
        HeadDim = headDim;
        Precision = precision;
        long length = (long)heads * tokens * headDim;
        // Pinned so the kernels can read rows through pointers without fixing per tile.
        switch (precision)
        {
            case KvPrecision.Float32:
                _single = GC.AllocateArray<float>(checked((int)length), pinned: true);
                break;
            case KvPrecision.Float16 or KvPrecision.BFloat16:
                _bits = GC.AllocateArray<ushort>(checked((int)length), pinned: true);
                break;
            case KvPrecision.Int8:
                _int8 = new sbyte[checked((int)length)];
                _scales = new float[heads * tokens];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(precision), $"no storage precision {precision}");
        }
    }

    /// <summary>Number of key/value heads.</summary>
    public int Heads { get; }

    /// <summary>Number of tokens (rows per head).</summary>
    public int Tokens { get; }

    /// <summary>Elements per row.</summary>
    public int HeadDim { get; }

    /// <summary>Storage precision.</summary>
    public KvPrecision Precision { get; }

    /// <summary>Bytes held by the elements (and, for int8, the rows' scales).</summary>
    public long Bytes => StorageBytes(Heads, Tokens, HeadDim, Precision);

    /// <summary>Bytes a tensor of this shape and precision holds.</summary>
    public static long StorageBytes(int heads, int tokens, int headDim, KvPrecision precision)
    {
        long elements = (long)heads * tokens * headDim;
        return precision switch
        {
            KvPrecision.Float32 => elements * 4,
            KvPrecision.Int8 => elements + 4L * heads * tokens,
            _ => elements * 2,
        };
    }

    /// <summary>A zero-filled tensor.</summary>
    public static KvTensor Create(int heads, int tokens, int headDim, KvPrecision precision = KvPrecision.Float32) =>
        new(heads, tokens, headDim, precision);

    /// <summary>Copies (and rounds, for fp16/bf16) fp32 data laid out [heads][tokens][headDim].</summary>
    public static KvTensor FromSingle(ReadOnlySpan<float> data, int heads, int tokens, int headDim, KvPrecision precision = KvPrecision.Float32)
    {
        var tensor = new KvTensor(heads, tokens, headDim, precision);
        if (data.Length != (long)heads * tokens * headDim)
            throw new ArgumentException($"expected {heads}×{tokens}×{headDim} elements, got {data.Length}", nameof(data));
        int perHead = tokens * headDim;
        for (int h = 0; h < heads; h++) tensor.Write(h, 0, tokens, data.Slice(h * perHead, perHead));
        return tensor;
    }

    /// <summary>Reads <paramref name="count"/> rows of one head starting at <paramref name="token"/>, widened to fp32.</summary>
    public void Read(int head, int token, int count, Span<float> destination)
    {
        int offset = Offset(head, token, count), length = count * HeadDim;
        if (_single is not null) _single.AsSpan(offset, length).CopyTo(destination);
        else if (_int8 is not null) PrecisionConversion.WidenInt8(_int8.AsSpan(offset, length), _scales.AsSpan(head * Tokens + token, count), HeadDim, destination);
        else PrecisionConversion.Widen(_bits.AsSpan(offset, length), Precision, destination);
    }

    /// <summary>Overwrites <paramref name="count"/> rows of one head starting at <paramref name="token"/>, rounding to the storage precision.</summary>
    public void Write(int head, int token, int count, ReadOnlySpan<float> source)
    {
        if (count == 0) return;
        Version++;
        int offset = Offset(head, token, count), length = count * HeadDim;
        if (_single is not null) source[..length].CopyTo(_single.AsSpan(offset, length));
        else if (_int8 is not null) PrecisionConversion.NarrowInt8(source[..length], HeadDim, _int8.AsSpan(offset, length), _scales.AsSpan(head * Tokens + token, count));
        else PrecisionConversion.Narrow(source[..length], Precision, _bits.AsSpan(offset, length));
    }

    /// <summary>The whole tensor widened to fp32, [heads][tokens][headDim].</summary>
    public float[] ToSingle()
    {
        var result = new float[(long)Heads * Tokens * HeadDim];
        if (Tokens == 0) return result;
        for (int h = 0; h < Heads; h++) Read(h, 0, Tokens, result.AsSpan(h * Tokens * HeadDim, Tokens * HeadDim));
        return result;
    }

    /// <summary>A deep copy.</summary>
    public KvTensor Clone()
    {
        var copy = new KvTensor(Heads, Tokens, HeadDim, Precision);
        _single?.CopyTo(copy._single!, 0);
        _bits?.CopyTo(copy._bits!, 0);
        _int8?.CopyTo(copy._int8!, 0);
        _scales?.CopyTo(copy._scales!, 0);
        return copy;
    }

    /// <summary>Bumped by every write, so a device copy can tell it is stale.</summary>
    internal int Version { get; private set; }

    /// <summary>The fp32 elements themselves (null unless <see cref="Precision"/> is Float32); the kernels read them in place.</summary>
    internal float[]? SingleStorage => _single;

    /// <summary>The 16-bit patterns (null unless fp16 or bf16); used by serialization.</summary>
    internal ushort[]? BitStorage => _bits;

    /// <summary>The int8 elements and the rows' scales (null unless <see cref="Precision"/> is Int8); used by serialization.</summary>
    internal (sbyte[] Elements, float[] Scales)? Int8Storage => _int8 is null ? null : (_int8, _scales!);

    private int Offset(int head, int token, int count)
    {
        if ((uint)head >= (uint)Heads) throw new ArgumentOutOfRangeException(nameof(head));
        if (token < 0 || count < 0 || token + count > Tokens) throw new ArgumentOutOfRangeException(nameof(count), $"rows {token}..{token + count} outside 0..{Tokens}");
        return (head * Tokens + token) * HeadDim;
    }
}
