namespace Search.Ranking.Reranking.InContext;

/// <summary>
/// Bounds of a <see cref="PassageKvStore"/>: bytes held in memory, and optionally a directory of checksummed files
/// with its own byte budget (a second tier that survives restarts).
/// </summary>
public sealed record PassageKvStoreOptions
{
    /// <summary>Bytes of passage K/V kept in memory (least recently used evicted first).</summary>
    public long MemoryBytes { get; init; } = 512L << 20;

    /// <summary>Where the file tier lives; null: memory only.</summary>
    public string? Directory { get; init; }

    /// <summary>Bytes of passage K/V kept in files (least recently used deleted first).</summary>
    public long DiskBytes { get; init; } = 4L << 30;
}

/// <summary>What a <see cref="PassageKvStore"/> holds and how it has served.</summary>
/// <param name="Hits">Lookups answered from memory.</param>
/// <param name="DiskHits">Lookups answered from the file tier.</param>
/// <param name="Misses">Lookups neither tier could answer (the passage was encoded).</param>
/// <param name="Damaged">File-tier entries that failed their checksum or were cut short: deleted and encoded again.</param>
public sealed record PassageKvStats(int Entries, long Bytes, long MemoryBudget, int DiskEntries, long DiskBytes, long DiskBudget,
    long Hits, long DiskHits, long Misses, long Evictions, long Damaged)
{
    /// <summary>Share of lookups answered by either tier.</summary>
    public double HitRate => Hits + DiskHits + Misses == 0 ? 0 : (double)(Hits + DiskHits) / (Hits + DiskHits + Misses);
}
