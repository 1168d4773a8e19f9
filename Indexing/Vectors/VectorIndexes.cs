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
