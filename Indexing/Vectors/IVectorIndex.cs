namespace Search.Indexing.Vectors;

/// <summary>
/// Inner-product nearest-neighbour search over float vectors with 64-bit ids (callers L2-normalise for cosine).
/// Searches may run concurrently with each other; writes are serialised against them.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>Length of every vector.</summary>
    int Dimension { get; }

    /// <summary>Number of live vectors.</summary>
    long Count { get; }

    /// <summary>Adds row-major vectors (<c>vectors.Length == ids.Length * Dimension</c>); an existing id is replaced.</summary>
    void Add(ReadOnlySpan<long> ids, ReadOnlySpan<float> vectors);

    /// <summary>Removes ids; returns how many were present.</summary>
    int Remove(ReadOnlySpan<long> ids);

    /// <summary>Writes the best hits first into <paramref name="ids"/> and <paramref name="scores"/>; returns the number written (≤ k, fewer when the index is small).</summary>
    int Search(ReadOnlySpan<float> query, int k, Span<long> ids, Span<float> scores);

    /// <summary>Writes the index crash-safely: a temporary file, fsync, rename.</summary>
    void Save(string path);
}
