using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Search.Indexing.Vectors;

/// <summary>
/// Brute-force inner-product search over contiguous rows: exact, so it is the default for small collections
/// and the recall reference for approximate indexes. Large scans are split across cores.
/// </summary>
public sealed class ExactVectorIndex : IVectorIndex
{
    // Below this many floats one core finishes before parallel dispatch would pay for itself.
    private const long ParallelFloats = 1L << 21;
    private const int ChunkRows = 256;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<long, int> _rows = [];
    private float[] _vectors;
    private long[] _ids;
    private int _count;
    private bool _disposed;

    /// <summary>An empty index of the given dimension.</summary>
    public ExactVectorIndex(int dimension, int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        capacity = Math.Max(capacity, 16);
        _vectors = new float[(long)capacity * dimension];
        _ids = new long[capacity];
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public long Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return _count; } finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Upper bound on scan threads (default: all cores).</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <inheritdoc />
    public void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((long)ids.Length * Dimension != vectors.Length)
            throw new ArgumentException($"expected {ids.Length} × {Dimension} = {(long)ids.Length * Dimension} floats, got {vectors.Length}", nameof(vectors));
        _lock.EnterWriteLock();
        try
        {
            EnsureCapacity(_count + ids.Length);
            for (int i = 0; i < ids.Length; i++)
            {
                if (!_rows.TryGetValue(ids[i], out int row))
                {
                    row = _count++;
                    _rows.Add(ids[i], row);
                    _ids[row] = ids[i];
                }
                vectors.Slice(i * Dimension, Dimension).CopyTo(_vectors.AsSpan(row * Dimension, Dimension));
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    public int Remove(ReadOnlySpan<long> ids)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _lock.EnterWriteLock();
        try
        {
            int removed = 0;
            foreach (long id in ids)
            {
                if (!_rows.Remove(id, out int row)) continue;
                removed++;
                int last = --_count;
                if (row != last)
                {
                    // Swap-with-last keeps the rows contiguous, so scans never test for holes.
                    long moved = _ids[last];
                    _ids[row] = moved;
                    _vectors.AsSpan(last * Dimension, Dimension).CopyTo(_vectors.AsSpan(row * Dimension, Dimension));
                    _rows[moved] = row;
                }
            }
            return removed;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc />
    public int Search(ReadOnlySpan<float> query, int k, Span<long> ids, Span<float> scores)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (query.Length != Dimension) throw new ArgumentException($"query has {query.Length} dimensions, the index {Dimension}", nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        _lock.EnterReadLock();
        try
        {
            int n = Math.Min(k, _count);
            if (ids.Length < n || scores.Length < n) throw new ArgumentException($"result buffers must hold {n} hits");
            if (n == 0) return 0;
            return (long)_count * Dimension >= ParallelFloats && MaxDegreeOfParallelism > 1
                ? SearchParallel(query, n, ids, scores)
                : SearchRange(query, n, 0, _count, ids, scores);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private unsafe int SearchRange(ReadOnlySpan<float> query, int k, int start, int end, Span<long> ids, Span<float> scores)
    {
        var heapScores = ArrayPool<float>.Shared.Rent(k);
        var heapIds = ArrayPool<long>.Shared.Rent(k);
        try
        {
            var top = new TopK(heapScores.AsSpan(0, k), heapIds.AsSpan(0, k));
            fixed (float* q = query)
                ScanInto(q, start, end, ref top);
            return top.DrainSorted(ids, scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(heapScores);
            ArrayPool<long>.Shared.Return(heapIds);
        }
    }

    private unsafe void ScanInto(float* q, int start, int end, ref TopK top)
    {
        float* chunk = stackalloc float[ChunkRows];
        fixed (float* matrix = _vectors)
        {
            for (int row = start; row < end; row += ChunkRows)
            {
                int rows = Math.Min(ChunkRows, end - row);
                DotKernels.DotRows(q, matrix + (long)row * Dimension, rows, Dimension, chunk);
                float threshold = top.Threshold;
                for (int i = 0; i < rows; i++)
                {
                    // >= keeps ties, which TopK settles by id.
                    if (chunk[i] >= threshold)
                    {
                        top.Push(chunk[i], _ids[row + i]);
                        threshold = top.Threshold;
                    }
                }
            }
        }
    }

    private int SearchParallel(ReadOnlySpan<float> query, int k, Span<long> ids, Span<float> scores)
    {
        int parts = Math.Min(MaxDegreeOfParallelism, Math.Max(1, _count / ChunkRows));
        var queryCopy = ArrayPool<float>.Shared.Rent(Dimension);
        var partScores = ArrayPool<float>.Shared.Rent(parts * k);
        var partIds = ArrayPool<long>.Shared.Rent(parts * k);
        var partCounts = ArrayPool<int>.Shared.Rent(parts);
        try
        {
            query.CopyTo(queryCopy);
            int count = _count;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            {
                int start = (int)((long)count * p / parts), end = (int)((long)count * (p + 1) / parts);
                partCounts[p] = ScanPart(queryCopy, k, start, end, partScores.AsSpan(p * k, k), partIds.AsSpan(p * k, k));
            });
            // Merge the per-part heaps: parts × k candidates at most.
            var mergedScores = ArrayPool<float>.Shared.Rent(k);
            var mergedIds = ArrayPool<long>.Shared.Rent(k);
            try
            {
                var top = new TopK(mergedScores.AsSpan(0, k), mergedIds.AsSpan(0, k));
                for (int p = 0; p < parts; p++)
                    for (int i = 0; i < partCounts[p]; i++)
                        top.Push(partScores[p * k + i], partIds[p * k + i]);
                return top.DrainSorted(ids, scores);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(mergedScores);
                ArrayPool<long>.Shared.Return(mergedIds);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(queryCopy);
            ArrayPool<float>.Shared.Return(partScores);
            ArrayPool<long>.Shared.Return(partIds);
            ArrayPool<int>.Shared.Return(partCounts);
        }
    }

    private unsafe int ScanPart(float[] query, int k, int start, int end, Span<float> heapScores, Span<long> heapIds)
    {
        var top = new TopK(heapScores, heapIds);
        fixed (float* q = query)
            ScanInto(q, start, end, ref top);
        // Unordered is fine: the merge re-heaps; keep entries in the buffer's first Count slots.
        return top.Count;
    }

    private void EnsureCapacity(int rows)
    {
        if (rows <= _ids.Length) return;
        long maxRows = Array.MaxLength / Dimension;
        if (rows > maxRows) throw new VectorIndexException($"the exact index holds at most {maxRows:N0} vectors of dimension {Dimension}");
        int capacity = (int)Math.Min(maxRows, Math.Max(rows, (long)_ids.Length * 2));
        Array.Resize(ref _ids, capacity);
        var vectors = GC.AllocateUninitializedArray<float>(capacity * Dimension);
        _vectors.AsSpan(0, _count * Dimension).CopyTo(vectors);
        _vectors = vectors;
    }

    /// <inheritdoc />
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _lock.EnterReadLock();
        try
        {
            long payload = 8 + (long)_count * 8 + (long)_count * Dimension * 4;
            VectorFile.Save(path, VectorFileKind.Exact, Dimension, payload, stream =>
            {
                Span<byte> count = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(count, _count);
                stream.Write(count);
                WriteChunked(stream, MemoryMarshal.AsBytes(_ids.AsSpan(0, _count)));
                WriteChunked(stream, _vectors.AsSpan(0, _count * Dimension));
            });
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Opens a file written by <see cref="Save"/>; a corrupt or truncated file throws <see cref="VectorIndexException"/>.</summary>
    public static ExactVectorIndex Open(string path) =>
        VectorFile.Read(path, VectorFileKind.Exact, (header, stream) =>
        {
            Span<byte> countBytes = stackalloc byte[8];
            stream.ReadExactly(countBytes);
            long count = BinaryPrimitives.ReadInt64LittleEndian(countBytes);
            int d = header.Dimension;
            if (count < 0 || count > Array.MaxLength / d || 8 + count * 8 + count * d * 4 != header.PayloadLength)
                throw new VectorIndexException($"{path}: corrupt vector index (count {count} does not fit the payload)");
            var index = new ExactVectorIndex(d, (int)count);
            try
            {
                int n = (int)count;
                stream.ReadExactly(MemoryMarshal.AsBytes(index._ids.AsSpan(0, n)));
                ReadChunked(stream, index._vectors.AsSpan(0, n * d));
                for (int row = 0; row < n; row++)
                    if (!index._rows.TryAdd(index._ids[row], row))
                        throw new VectorIndexException($"{path}: corrupt vector index (id {index._ids[row]} appears twice)");
                index._count = n;
                return index;
            }
            catch
            {
                index.Dispose();
                throw;
            }
        });

    // Spans of bytes are limited to 2 GB, and a large index's floats are not.
    private static void WriteChunked(Stream stream, ReadOnlySpan<float> data)
    {
        const int Floats = 1 << 24;
        for (int i = 0; i < data.Length; i += Floats)
            stream.Write(MemoryMarshal.AsBytes(data.Slice(i, Math.Min(Floats, data.Length - i))));
    }

    private static void WriteChunked(Stream stream, ReadOnlySpan<byte> data) => stream.Write(data);

    private static void ReadChunked(Stream stream, Span<float> data)
    {
        const int Floats = 1 << 24;
        for (int i = 0; i < data.Length; i += Floats)
            stream.ReadExactly(MemoryMarshal.AsBytes(data.Slice(i, Math.Min(Floats, data.Length - i))));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _lock.Dispose();
    }
}
