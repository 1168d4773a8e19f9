namespace Search.GpuAttention.Caching;

/// <summary>
/// Keys and values per (block, layer), so documents and the instruction are prefilled once and reused by many
/// queries; keys carry the position they were encoded at and can be re-encoded to a new one by a RoPE rotation.
/// Thread-safe for concurrent reads; writes take a lock.
/// </summary>
public sealed class BlockKvCache
{
    private readonly Dictionary<(string Block, int Layer), CachedBlock> _entries = [];
    private readonly Lock _gate = new();

    /// <summary>Number of (block, layer) entries.</summary>
    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>Bytes of all cached keys and values.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                long total = 0;
                foreach (var entry in _entries.Values) total += entry.Bytes;
                return total;
            }
        }
    }

    /// <summary>Stores (or replaces) a block's keys and values for a layer.</summary>
    public void Put(string block, int layer, CachedBlock entry)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        if (entry.Keys.Heads != entry.Values.Heads || entry.Keys.Tokens != entry.Values.Tokens || entry.Keys.HeadDim != entry.Values.HeadDim)
            throw new ArgumentException("keys and values differ in shape", nameof(entry));
        lock (_gate) _entries[(block, layer)] = entry;
    }

    /// <summary>Stores a block's keys and values computed with its first token at <paramref name="position"/>.</summary>
    public void Put(string block, int layer, KvTensor keys, KvTensor values, int position) => Put(block, layer, new CachedBlock(keys, values, position));

    /// <summary>The entry, if cached.</summary>
    public bool TryGet(string block, int layer, out CachedBlock entry)
    {
        lock (_gate) return _entries.TryGetValue((block, layer), out entry!);
    }

    /// <summary>The entry; throws <see cref="KeyNotFoundException"/> naming the block when absent.</summary>
    public CachedBlock Get(string block, int layer) =>
        TryGet(block, layer, out var entry) ? entry : throw new KeyNotFoundException($"block '{block}' layer {layer} is not cached");

    /// <summary>Drops a block from every layer; returns how many entries went.</summary>
    public int Remove(string block)
    {
        lock (_gate)
        {
            var doomed = new List<(string, int)>();
            foreach (var key in _entries.Keys)
                if (key.Block == block) doomed.Add(key);
            foreach (var key in doomed) _entries.Remove(key);
            return doomed.Count;
        }
    }

    /// <summary>All entries, ordered by block then layer (a stable order for serialization).</summary>
    public IReadOnlyList<(string Block, int Layer, CachedBlock Entry)> Entries()
    {
        lock (_gate)
        {
            var list = new List<(string, int, CachedBlock)>(_entries.Count);
            foreach (var pair in _entries) list.Add((pair.Key.Block, pair.Key.Layer, pair.Value));
            list.Sort((a, b) => a.Item1 != b.Item1 ? string.CompareOrdinal(a.Item1, b.Item1) : a.Item2.CompareTo(b.Item2));
            return list;
        }
    }

    /// <summary>
    /// Re-encodes a block's cached keys to start at <paramref name="newPosition"/> (rotating them by the delta)
    /// and records the new position; values carry no position and stay as they are.
    /// </summary>
    public void ReEncode(string block, int layer, int newPosition, RotaryEmbedding rope)
    {
        var entry = Get(block, layer);
        if (entry.Position == newPosition) return;
        var keys = entry.Keys;
        if (keys.HeadDim != rope.HeadDim) throw new ArgumentException($"RoPE is for head dimension {rope.HeadDim}, keys have {keys.HeadDim}", nameof(rope));
        var rotated = KvTensor.Create(keys.Heads, keys.Tokens, keys.HeadDim, keys.Precision);
        var rows = new float[keys.Tokens * keys.HeadDim];
        for (int h = 0; h < keys.Heads; h++)
        {
            keys.Read(h, 0, keys.Tokens, rows);
            rope.Rotate(rows, (long)newPosition - entry.Position);
            rotated.Write(h, 0, keys.Tokens, rows);
        }
        Put(block, layer, new CachedBlock(rotated, entry.Values, newPosition));
    }

    /// <summary>Writes the cache in the checksummed format of <see cref="KvCacheFile"/>.</summary>
    public void Save(Stream stream) => KvCacheFile.Write(this, stream);

    /// <summary>Writes the cache to a file (through a temporary file and a rename, so a crash leaves the old file).</summary>
    public void Save(string path)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            Save(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a cache written by <see cref="Save(Stream)"/>; throws <see cref="KvCacheFormatException"/> on a corrupt or truncated stream.</summary>
    public static BlockKvCache Load(Stream stream) => KvCacheFile.Read(stream);

    /// <summary>Reads a cache file.</summary>
    public static BlockKvCache Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }
}
