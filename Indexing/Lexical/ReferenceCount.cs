namespace Search.Indexing.Lexical;

/// <summary>A thread-safe reference count that starts at one and, once it reaches zero, can never be taken again.</summary>
public struct ReferenceCount
{
    private int _count;

    /// <summary>A count holding the creator's reference.</summary>
    public static ReferenceCount One() => new() { _count = 1 };

    /// <summary>Takes a reference; false once the count has reached zero.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int r = Volatile.Read(ref _count);
            if (r == 0) return false;
            if (Interlocked.CompareExchange(ref _count, r + 1, r) == r) return true;
        }
    }

    /// <summary>Drops a reference; true when it was the last.</summary>
    public bool Release() => Interlocked.Decrement(ref _count) == 0;
}
