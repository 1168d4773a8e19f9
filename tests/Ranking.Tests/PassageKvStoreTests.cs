using Search.GpuAttention;
using Search.GpuAttention.Caching;
using Search.Ranking.Reranking.InContext;
using Search.TestSupport;

namespace Search.Ranking.Tests;

/// <summary>The passage-KV store on its own: concurrent writers and readers of the same passages, and interrupted writes.</summary>
public class PassageKvStoreTests
{
    private static PassageKv Entry(int value)
    {
        var keys = KvTensor.FromSingle([value, value + 1, value + 2, value + 3], 1, 2, 2);
        return new PassageKv([new CachedBlock(keys, keys.Clone(), 7)]);
    }

    private static string Key(int i) => i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Writers_and_readers_of_the_same_passages_at_once_see_whole_entries()
    {
        using var dir = new TempDirectory();
        // A memory tier of two entries forces most reads to the files other threads are writing and trimming.
        var store = new PassageKvStore(new PassageKvStoreOptions { Directory = dir.Path, MemoryBytes = Entry(0).Bytes * 2, DiskBytes = Entry(0).Bytes * 40 });
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int passage = i % 50;
            if (store.TryGet(Key(passage), out var found))
                Assert.Equal([passage, passage + 1, passage + 2, passage + 3], found.Layers[0].Keys.ToSingle());
            else
                store.Put(Key(passage), Entry(passage));
        });
        var stats = store.Stats();
        Assert.Equal(0, stats.Damaged);
        Assert.True(stats.DiskBytes <= stats.DiskBudget, $"{stats.DiskBytes} bytes of files");
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_write_a_crash_cut_short_is_not_part_of_the_tier_after_a_restart()
    {
        using var dir = new TempDirectory();
        var store = new PassageKvStore(new PassageKvStoreOptions { Directory = dir.Path });
        store.Put(Key(1), Entry(1));
        string file = Directory.EnumerateFiles(dir.Path, "*.kv", SearchOption.AllDirectories).Single();
        File.WriteAllBytes(file + ".0123.tmp", [1, 2, 3]);
        var reopened = new PassageKvStore(new PassageKvStoreOptions { Directory = dir.Path });
        Assert.Equal(1, reopened.Stats().DiskEntries);
        Assert.True(reopened.TryGet(Key(1), out var entry));
        Assert.Equal([1f, 2, 3, 4], entry.Layers[0].Keys.ToSingle());
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }
}
