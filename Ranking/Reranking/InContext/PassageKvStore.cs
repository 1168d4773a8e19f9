using Search.GpuAttention.Caching;

namespace Search.Ranking.Reranking.InContext;

/// <summary>
/// The passage-KV store: each passage's decoder keys and values, computed once and reused by every later query that
/// ranks it. Entries are content-addressed (the key hashes the model, instruction and passage text), so a changed
/// segment can never be served stale K/V and a reindex reuses whatever is unchanged. Two bounded tiers, both least
/// recently used first out: memory, and optionally checksummed files (written through on insert, read back after a
/// restart; a damaged file is deleted and the passage encoded again, never read). Thread-safe.
/// </summary>
public sealed class PassageKvStore
{
    private const string Block = "passage";
    private readonly PassageKvStoreOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, PassageKv Value)>> _memory = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, PassageKv Value)> _recency = new();
    // The file tier's index: bytes and a use stamp per key (stamps order eviction; files found at start keep their age).
    private readonly Dictionary<string, (long Bytes, long Stamp)> _files = new(StringComparer.Ordinal);
    private readonly SortedSet<(long Stamp, string Key)> _fileAge = [];
    private long _bytes, _diskBytes, _clock, _hits, _diskHits, _misses, _evictions, _damaged;

    /// <summary>Opens the store; an existing file tier is indexed (oldest files first out) and trimmed to its budget.</summary>
    public PassageKvStore(PassageKvStoreOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.MemoryBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.DiskBytes);
        _options = options;
        if (options.Directory is null) return;
        System.IO.Directory.CreateDirectory(options.Directory);
        // A write a crash interrupted leaves its temporary file; it was never part of the tier.
        foreach (string stale in System.IO.Directory.EnumerateFiles(options.Directory, "*.tmp", SearchOption.AllDirectories)) File.Delete(stale);
        var found = new List<(string Key, long Bytes, DateTime Written)>();
        foreach (string file in System.IO.Directory.EnumerateFiles(options.Directory, "*.kv", SearchOption.AllDirectories))
        {
            var info = new FileInfo(file);
            found.Add((Path.GetFileNameWithoutExtension(file), info.Length, info.LastWriteTimeUtc));
        }
        found.Sort((a, b) => a.Written.CompareTo(b.Written));
        foreach (var (key, bytes, _) in found) SetFile(key, bytes);
        lock (_gate) TrimFiles();
    }

    /// <summary>The entry for <paramref name="key"/> from memory or the file tier.</summary>
    public bool TryGet(string key, out PassageKv entry)
    {
        CheckKey(key);
        lock (_gate)
        {
            if (_memory.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                _hits++;
                entry = node.Value.Value;
                return true;
            }
            if (!_files.TryGetValue(key, out var file))
            {
                _misses++;
                entry = null!;
                return false;
            }
            SetFile(key, file.Bytes);
        }
        // Read outside the lock: a file read must not hold up lookups answered from memory.
        PassageKv? loaded = null;
        bool damaged = false;
        try
        {
            loaded = PassageKv.From(BlockKvCache.Load(PathOf(key)), Block);
        }
        catch (FileNotFoundException)
        {
            // Trimmed by another thread between the index lookup and the read: a plain miss.
        }
        catch (Exception e) when (e is KvCacheFormatException or IOException or ArgumentException)
        {
            damaged = true;
        }
        lock (_gate)
        {
            if (loaded is null)
            {
                if (damaged)
                {
                    _damaged++;
                    ForgetFile(key);
                }
                _misses++;
                entry = null!;
                return false;
            }
            _diskHits++;
            AddToMemory(key, loaded);
        }
        entry = loaded;
        return true;
    }

    /// <summary>
    /// Stores an entry in memory and, with a file tier and <paramref name="durable"/>, in a file; evicts the least recently
    /// used beyond either budget. Entries unlikely to be asked for after a restart are kept in memory alone.
    /// </summary>
    public void Put(string key, PassageKv entry, bool durable = true)
    {
        CheckKey(key);
        long fileBytes = durable && _options.Directory is not null && entry.Bytes <= _options.DiskBytes ? WriteFile(key, entry) : 0;
        lock (_gate)
        {
            AddToMemory(key, entry);
            if (fileBytes == 0) return;
            SetFile(key, fileBytes);
            TrimFiles();
        }
    }

    // Writes the entry through a temporary file of its own (two threads may store the same passage at once) and a
    // rename; returns the file's bytes, or 0 when it could not be written (the file tier is a cache: memory still serves).
    private long WriteFile(string key, PassageKv entry)
    {
        string path = PathOf(key), temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            var cache = new BlockKvCache();
            entry.AddTo(cache, Block);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            long bytes;
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                cache.Save(stream);
                stream.Flush(flushToDisk: true);
                bytes = stream.Length;
            }
            File.Move(temporary, path, overwrite: true);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
            }
            return 0;
        }
    }

    /// <summary>Current sizes and counts.</summary>
    public PassageKvStats Stats()
    {
        lock (_gate)
            return new PassageKvStats(_memory.Count, _bytes, _options.MemoryBytes, _files.Count, _diskBytes, _options.Directory is null ? 0 : _options.DiskBytes,
                _hits, _diskHits, _misses, _evictions, _damaged);
    }

    private void AddToMemory(string key, PassageKv entry)
    {
        if (_memory.Remove(key, out var existing))
        {
            _recency.Remove(existing);
            _bytes -= existing.Value.Value.Bytes;
        }
        // An entry larger than the whole budget is used by the query that made it and not kept.
        if (entry.Bytes > _options.MemoryBytes) return;
        _memory[key] = _recency.AddFirst((key, entry));
        _bytes += entry.Bytes;
        while (_bytes > _options.MemoryBytes && _recency.Last is { } last)
        {
            _recency.RemoveLast();
            _memory.Remove(last.Value.Key);
            _bytes -= last.Value.Value.Bytes;
            _evictions++;
        }
    }

    // Records a file as used now (its bytes counted once).
    private void SetFile(string key, long bytes)
    {
        if (_files.Remove(key, out var old))
        {
            _fileAge.Remove((old.Stamp, key));
            _diskBytes -= old.Bytes;
        }
        long stamp = ++_clock;
        _files[key] = (bytes, stamp);
        _fileAge.Add((stamp, key));
        _diskBytes += bytes;
    }

    private void TrimFiles()
    {
        while (_diskBytes > _options.DiskBytes && _fileAge.Count > 0)
        {
            ForgetFile(_fileAge.Min.Key);
            _evictions++;
        }
    }

    private void ForgetFile(string key)
    {
        if (!_files.Remove(key, out var file)) return;
        _fileAge.Remove((file.Stamp, key));
        _diskBytes -= file.Bytes;
        try
        {
            File.Delete(PathOf(key));
        }
        catch (IOException)
        {
        }
    }

    // Keys name files, so only digests are accepted.
    private static void CheckKey(string key)
    {
        if (key.Length is < 16 or > 128) throw new ArgumentException("a passage key is a lower-case hex digest", nameof(key));
        foreach (char c in key)
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f')) throw new ArgumentException("a passage key is a lower-case hex digest", nameof(key));
    }

    // Keys are lower-case hex digests: two characters of fan-out keep directories small.
    private string PathOf(string key) => Path.Combine(_options.Directory!, key.Length >= 2 ? key[..2] : "00", key + ".kv");
}
