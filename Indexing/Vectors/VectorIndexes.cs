namespace Search.Indexing.Vectors;

/// <summary>Creates and opens vector indexes by spec: <c>"exact"</c> (managed) or a FAISS index_factory string such as <c>"HNSW32,Flat"</c>.</summary>
public static class VectorIndexes
{
    /// <summary>The spec of the managed exact index.</summary>
    public const string Exact = "exact";

    /// <summary>A new empty index; FAISS specs use the inner-product metric.</summary>
    public static IVectorIndex Create(string spec, int dimension)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        return string.Equals(spec.Trim(), Exact, StringComparison.OrdinalIgnoreCase)
            ? new ExactVectorIndex(dimension)
            : FaissVectorIndex.Create(spec.Trim(), dimension);
    }

    /// <summary>The index_factory string of the approximate index chosen for large collections.</summary>
    public const string Approximate = "HNSW32,Flat";

    /// <summary>efSearch of that index (recall@10 0.98 on clustered 384-d vectors at 100k; FAISS raises it to k when k is larger).</summary>
    public const int ApproximateEfSearch = 128;

    /// <summary>
    /// An empty index suited to about <paramref name="expectedCount"/> vectors: exact below
    /// <paramref name="approximateFrom"/>, FAISS HNSW from there on when the native shim can be loaded
    /// (otherwise exact, which is always correct, only slower).
    /// </summary>
    public static IVectorIndex ForSize(long expectedCount, int dimension, int approximateFrom)
    {
        if (expectedCount < approximateFrom) return new ExactVectorIndex(dimension);
        try
        {
            var index = FaissVectorIndex.Create(Approximate, dimension);
            index.EfSearch = ApproximateEfSearch;
            return index;
        }
        catch (Exception e) when (e is VectorIndexException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return new ExactVectorIndex(dimension);
        }
    }

    /// <summary>Opens a file written by <see cref="IVectorIndex.Save"/>, whichever kind of index wrote it.</summary>
    public static IVectorIndex Open(string path)
    {
        var header = VectorFile.ReadHeader(path);
        return header.Kind switch
        {
            VectorFileKind.Exact => ExactVectorIndex.Open(path),
            VectorFileKind.Faiss => FaissVectorIndex.Open(path),
            _ => throw new VectorIndexException($"{path}: unknown vector index kind {(int)header.Kind}"),
        };
    }
}
