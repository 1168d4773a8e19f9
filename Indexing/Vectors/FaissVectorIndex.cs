using System.Runtime.InteropServices;

namespace Search.Indexing.Vectors;

/// <summary>
/// A FAISS index (any index_factory string, inner-product metric) behind the native shim, with arbitrary
/// int64 ids. Removed and replaced vectors are tombstoned in the shim until the index is rebuilt.
/// </summary>
public sealed class FaissVectorIndex : IVectorIndex
{
    private readonly FaissIndexHandle _handle;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private int? _efSearch, _nprobe;

    private FaissVectorIndex(FaissIndexHandle handle, string spec, int dimension)
    {
        _handle = handle;
        Spec = spec;
        Dimension = dimension;
    }

    /// <summary>A new empty index from a FAISS index_factory string such as <c>"HNSW32,Flat"</c> or <c>"IVF256,PQ16"</c>.</summary>
    public static FaissVectorIndex Create(string spec, int dimension)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        FaissNative.Check(FaissNative.faiss_shim_create(spec, dimension, out IntPtr raw), $"index_factory(\"{spec}\", {dimension})");
        return new FaissVectorIndex(new FaissIndexHandle(raw), spec, dimension);
    }

    /// <summary>The index_factory string this index was made from.</summary>
    public string Spec { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public long Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return FaissNative.faiss_shim_count(_handle); } finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Stored vectors including tombstoned ones (what a rebuild would shrink to <see cref="Count"/>).</summary>
    public long StoredCount
    {
        get
        {
            _lock.EnterReadLock();
            try { return FaissNative.faiss_shim_ntotal(_handle); } finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Whether the index can take vectors; IVF and PQ indexes need <see cref="Train"/> first (or train on their first batch).</summary>
    public bool IsTrained
    {
        get
        {
            _lock.EnterReadLock();
            try { return FaissNative.faiss_shim_is_trained(_handle) == 1; } finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>HNSW candidate-list size at query time (higher: better recall, slower).</summary>
    public int? EfSearch
    {
        get => _efSearch;
        set
        {
            SetParameter("efSearch", value ?? throw new ArgumentNullException(nameof(value)));
            _efSearch = value;
        }
    }

    /// <summary>IVF lists probed per query (higher: better recall, slower).</summary>
    public int? Nprobe
    {
        get => _nprobe;
        set
        {
            SetParameter("nprobe", value ?? throw new ArgumentNullException(nameof(value)));
            _nprobe = value;
        }
    }

    /// <summary>Sets any FAISS ParameterSpace parameter ("efSearch", "nprobe", "k_factor", …); throws where it does not apply.</summary>
    public void SetParameter(string name, double value)
    {
        _lock.EnterWriteLock();
        try { FaissNative.Check(FaissNative.faiss_shim_set_parameter(_handle, name, value), $"set {name}={value}"); }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>
    /// Rebuilds the stored vectors without tombstones (removed or replaced vectors still occupy memory and
    /// search time until then); training and parameters are kept.
    /// </summary>
    public void Compact()
    {
        _lock.EnterWriteLock();
        try { FaissNative.Check(FaissNative.faiss_shim_compact(_handle), "compact"); }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Trains the coarse quantizer / codebooks on representative row-major vectors.</summary>
    public unsafe void Train(ReadOnlySpan<float> vectors)
    {
        if (vectors.Length == 0 || vectors.Length % Dimension != 0)
            throw new ArgumentException($"training data must be a non-empty multiple of {Dimension} floats", nameof(vectors));
        _lock.EnterWriteLock();
        try
        {
            fixed (float* x = vectors)
                FaissNative.Check(FaissNative.faiss_shim_train(_handle, vectors.Length / Dimension, x, Dimension), "train");
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    /// <remarks>An untrained index trains on this batch first.</remarks>
    public unsafe void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors)
    {
        if ((long)ids.Length * Dimension != vectors.Length)
            throw new ArgumentException($"expected {ids.Length} × {Dimension} = {(long)ids.Length * Dimension} floats, got {vectors.Length}", nameof(vectors));
        if (ids.Length == 0) return;
        if (!IsTrained) Train(vectors);
        _lock.EnterWriteLock();
        try
        {
            fixed (long* i = ids)
            fixed (float* x = vectors)
                FaissNative.Check(FaissNative.faiss_shim_add(_handle, ids.Length, i, x, Dimension), "add");
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    public unsafe int Remove(ReadOnlySpan<long> ids)
    {
        _lock.EnterWriteLock();
        try
        {
            long removed;
            fixed (long* i = ids)
                removed = FaissNative.faiss_shim_remove(_handle, ids.Length, i);
            if (removed < 0) throw new VectorIndexException($"FAISS remove failed: {FaissNative.LastError}");
            return (int)removed;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    public unsafe int Search(ReadOnlySpan<float> query, int k, Span<long> ids, Span<float> scores)
    {
        if (query.Length != Dimension) throw new ArgumentException($"query has {query.Length} dimensions, the index {Dimension}", nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        _lock.EnterReadLock();
        try
        {
            long count = FaissNative.faiss_shim_count(_handle);
            int n = (int)Math.Min(k, count);
            if (ids.Length < n || scores.Length < n) throw new ArgumentException($"result buffers must hold {n} hits");
            if (n == 0) return 0;
            int written;
            fixed (float* q = query)
            fixed (long* i = ids)
            fixed (float* s = scores)
                FaissNative.Check(FaissNative.faiss_shim_search(_handle, q, Dimension, n, i, s, out written), "search");
            return written;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public unsafe void Save(string path)
    {
        _lock.EnterReadLock();
        IntPtr buffer = IntPtr.Zero;
        try
        {
            FaissNative.Check(FaissNative.faiss_shim_serialize(_handle, out buffer, out long length), "serialize");
            VectorFile.Save(path, VectorFileKind.Faiss, Dimension, length, stream =>
            {
                using var native = new UnmanagedMemoryStream((byte*)buffer, length);
                native.CopyTo(stream, 1 << 20);
            });
        }
        finally
        {
            if (buffer != IntPtr.Zero) FaissNative.faiss_shim_free_buffer(buffer);
            _lock.ExitReadLock();
        }
    }

    /// <summary>Opens a file written by <see cref="Save"/>; corrupt or truncated files throw <see cref="VectorIndexException"/>.</summary>
    public static unsafe FaissVectorIndex Open(string path)
    {
        // The checksum is verified before FAISS parses a byte: its reader trusts the sizes it reads.
        using var payload = VectorFile.Read(path, VectorFileKind.Faiss, (header, stream) =>
        {
            var buffer = new NativePayload(header.PayloadLength, header.Dimension);
            try
            {
                using (var native = new UnmanagedMemoryStream(buffer.Pointer, buffer.Length, buffer.Length, FileAccess.Write))
                    CopyExactly(stream, native, buffer.Length);
                return buffer;
            }
            catch
            {
                buffer.Dispose();
                throw;
            }
        });
        FaissNative.Check(FaissNative.faiss_shim_deserialize(payload.Pointer, payload.Length, out IntPtr raw), $"read of {path}");
        var handle = new FaissIndexHandle(raw);
        int dimension = FaissNative.faiss_shim_dimension(handle);
        if (dimension != payload.Dimension)
        {
            handle.Dispose();
            throw new VectorIndexException($"{path}: corrupt vector index (header dimension {payload.Dimension}, FAISS index {dimension})");
        }
        return new FaissVectorIndex(handle, ReadSpec(payload.Pointer, payload.Length), dimension);
    }

    // The spec sits after the shim's 8-byte magic and version, as a 4-byte length and UTF-8 bytes.
    private static unsafe string ReadSpec(byte* payload, long length)
    {
        if (length < 12) return "";
        int specLength = *(int*)(payload + 8);
        return System.Text.Encoding.UTF8.GetString(payload + 12, (int)Math.Clamp(specLength, 0, length - 12));
    }

    private sealed unsafe class NativePayload(long length, int dimension) : IDisposable
    {
        public byte* Pointer { get; private set; } = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, length));
        public long Length { get; } = length;
        public int Dimension { get; } = dimension;

        public void Dispose()
        {
            NativeMemory.Free(Pointer);
            Pointer = null;
        }
    }

    private static void CopyExactly(Stream from, Stream to, long length)
    {
        var chunk = new byte[1 << 20];
        while (length > 0)
        {
            int n = from.Read(chunk, 0, (int)Math.Min(chunk.Length, length));
            if (n == 0) throw new EndOfStreamException();
            to.Write(chunk, 0, n);
            length -= n;
        }
    }

    /// <summary>Turns the shim's AVX2/FMA distance kernels on or off process-wide (off forces its scalar loops; for comparisons).</summary>
    public static bool SimdEnabled
    {
        set => FaissNative.faiss_shim_set_simd(value ? 1 : 0);
    }

    /// <summary>Whether FAISS distance computations currently run on the shim's AVX2/FMA kernels.</summary>
    public static bool SimdActive => FaissNative.faiss_shim_simd_active() == 1;

    /// <summary>The shim's own inner-product kernel (the one FAISS is linked against), for tests.</summary>
    public static unsafe float NativeInnerProduct(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("vectors differ in length");
        fixed (float* a = x)
        fixed (float* b = y)
            return FaissNative.faiss_shim_inner_product(a, b, (nuint)x.Length);
    }

    /// <summary>The shim's own squared-L2 kernel, for tests.</summary>
    public static unsafe float NativeL2Squared(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("vectors differ in length");
        fixed (float* a = x)
        fixed (float* b = y)
            return FaissNative.faiss_shim_l2sqr(a, b, (nuint)x.Length);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _handle.Dispose();
        _lock.Dispose();
    }
}
