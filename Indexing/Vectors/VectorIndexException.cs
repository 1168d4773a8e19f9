namespace Search.Indexing.Vectors;

/// <summary>A vector index failed: a corrupt or truncated file, or an error reported by the native FAISS shim.</summary>
public sealed class VectorIndexException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public VectorIndexException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public VectorIndexException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception without a message.</summary>
    public VectorIndexException() { }
}
