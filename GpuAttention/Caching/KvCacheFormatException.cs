namespace Search.GpuAttention.Caching;

/// <summary>A KV cache file that is not one, is of an unknown version, is truncated or fails its checksum.</summary>
public sealed class KvCacheFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    public KvCacheFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public KvCacheFormatException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public KvCacheFormatException() { }
}
