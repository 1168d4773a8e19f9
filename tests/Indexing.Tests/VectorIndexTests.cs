using Search.Benchmarks.Workloads;
using Search.Indexing.Vectors;
using Search.TestSupport;

namespace Search.Indexing.Tests;

/// <summary>Brute-force reference and shared data for the vector index tests.</summary>
internal static class VectorReference
{
    public static float[] Data(int count, int dimension, int seed, int clusters = 50) =>
        new ClusteredVectors(dimension, clusters, 0.7f / MathF.Sqrt(dimension), seed).Next(count);

    public static long[] Ids(int count, long offset = 0)
    {
        var ids = new long[count];
        for (int i = 0; i < count; i++) ids[i] = offset + i * 7 + 3; // sparse, not positions
        return ids;
    }

    /// <summary>Top k by score (double precision), ties by smaller id.</summary>
    public static (long Id, double Score)[] TopK(float[] data, long[] ids, int dimension, ReadOnlySpan<float> query, int k)
    {
        var all = new (long Id, double Score)[ids.Length];
        for (int r = 0; r < ids.Length; r++)
        {
            double s = 0;
            for (int i = 0; i < dimension; i++) s += (double)data[r * dimension + i] * query[i];
            all[r] = (ids[r], s);
        }
        Array.Sort(all, (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Id.CompareTo(b.Id));
        return all[..Math.Min(k, all.Length)];
    }

    public static (long[] Ids, float[] Scores) Search(IVectorIndex index, ReadOnlySpan<float> query, int k)
    {
        var ids = new long[k];
        var scores = new float[k];
        int n = index.Search(query, k, ids, scores);
        return (ids[..n], scores[..n]);
    }

    /// <summary>Ids equal to the reference, allowing swaps between hits whose scores differ by float rounding only.</summary>
    public static void AssertSameTop((long Id, double Score)[] expected, long[] ids, float[] scores, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.True(Math.Abs(expected[i].Score - scores[i]) < tolerance, $"rank {i}: score {scores[i]} vs reference {expected[i].Score}");
            if (expected[i].Id != ids[i])
            {
                // A different id is only acceptable when the reference has a near-tie at that rank.
                int j = Array.FindIndex(expected, e => e.Id == ids[i]);
                Assert.True(j >= 0 && Math.Abs(expected[j].Score - expected[i].Score) < tolerance, $"rank {i}: id {ids[i]} instead of {expected[i].Id}");
            }
        }
    }
}

public sealed class ExactVectorIndexTests
{
    [Theory]
    [InlineData(37, 3000, 1)]   // dimension not a multiple of 8: vector tails
    [InlineData(64, 5000, 10)]
    [InlineData(40, 60000, 25)] // large enough for the parallel scan
    public void Exact_top_k_equals_brute_force(int dimension, int count, int k)
    {
        var data = VectorReference.Data(count, dimension, seed: 11);
        var ids = VectorReference.Ids(count);
        using var index = new ExactVectorIndex(dimension);
        index.Add(ids, data);
        Assert.Equal(count, index.Count);
        var queries = VectorReference.Data(20, dimension, seed: 12);
        for (int q = 0; q < 20; q++)
        {
            var query = queries.AsSpan(q * dimension, dimension);
            var (gotIds, gotScores) = VectorReference.Search(index, query, k);
            VectorReference.AssertSameTop(VectorReference.TopK(data, ids, dimension, query, k), gotIds, gotScores);
        }
    }

    [Fact]
    public void Exact_add_replace_remove_search()
    {
        AddReplaceRemove.Run(new ExactVectorIndex(16));
    }

    [Fact]
    public void Exact_save_open_round_trip_survives_restart()
    {
        using var dir = new TempDirectory();
        const int d = 24;
        var data = VectorReference.Data(2000, d, seed: 21);
        var ids = VectorReference.Ids(2000);
        var query = VectorReference.Data(1, d, seed: 22);
        (long[] Ids, float[] Scores) before;
        using (var index = VectorIndexes.Create("exact", d))
        {
            index.Add(ids, data);
            index.Remove([ids[5], ids[77]]);
            before = VectorReference.Search(index, query, 10);
            index.Save(dir.File("exact.vec"));
        }
        using var reopened = VectorIndexes.Open(dir.File("exact.vec"));
        Assert.IsType<ExactVectorIndex>(reopened);
        Assert.Equal(1998, reopened.Count);
        var after = VectorReference.Search(reopened, query, 10);
        Assert.Equal(before.Ids, after.Ids);
        Assert.Equal(before.Scores, after.Scores);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    [Fact]
    public void Exact_corrupt_or_truncated_files_are_rejected()
    {
        using var dir = new TempDirectory();
        using (var index = new ExactVectorIndex(8))
        {
            index.Add(VectorReference.Ids(100), VectorReference.Data(100, 8, seed: 31));
            index.Save(dir.File("ok.vec"));
        }
        CorruptFiles.AssertRejected(dir, dir.File("ok.vec"));
    }

    [Fact]
    public void Exact_rejects_bad_arguments()
    {
        using var index = new ExactVectorIndex(4);
        Assert.Throws<ArgumentException>(() => index.Add([1, 2], new float[7]));
        Assert.Throws<ArgumentException>(() => index.Search(new float[3], 1, new long[1], new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[4], 0, new long[1], new float[1]));
        Assert.Equal(0, index.Search(new float[4], 5, new long[5], new float[5]));
    }
}

/// <summary>The add / replace / remove contract, run against every kind of index.</summary>
internal static class AddReplaceRemove
{
    public static void Run(IVectorIndex index)
    {
        using var owned = index;
        int d = index.Dimension;
        float[] Unit(int axis)
        {
            var a = new float[d];
            a[axis] = 1;
            return a;
        }
        index.Add([100, 200, 300], [.. Unit(0), .. Unit(1), .. Unit(2)]);
        Assert.Equal(3, index.Count);
        var (ids, scores) = VectorReference.Search(index, Unit(1), 1);
        Assert.Equal([200L], ids);
        Assert.Equal(1f, scores[0], 4);

        // Replacing 200 moves it to axis 3: a query on axis 1 no longer finds it first.
        index.Add([200], Unit(3));
        Assert.Equal(3, index.Count);
        (ids, _) = VectorReference.Search(index, Unit(3), 1);
        Assert.Equal([200L], ids);
        (ids, scores) = VectorReference.Search(index, Unit(1), 3);
        Assert.Equal(3, ids.Length);
        Assert.All(scores, s => Assert.True(s < 0.5f));

        Assert.Equal(1, index.Remove([300, 999]));
        Assert.Equal(0, index.Remove([300]));
        Assert.Equal(2, index.Count);
        (ids, _) = VectorReference.Search(index, Unit(2), 10);
        Assert.Equal(2, ids.Length);
        Assert.DoesNotContain(300L, ids);

        // A batch repeating an id keeps its last vector.
        index.Add([400, 400], [.. Unit(4), .. Unit(5)]);
        Assert.Equal(3, index.Count);
        (ids, _) = VectorReference.Search(index, Unit(5), 1);
        Assert.Equal([400L], ids);
        Assert.Equal(0, index.Remove([]));
    }
}

/// <summary>Damaged copies of a good index file must all be refused with <see cref="VectorIndexException"/>.</summary>
internal static class CorruptFiles
{
    public static void AssertRejected(TempDirectory dir, string good)
    {
        var bytes = File.ReadAllBytes(good);
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x40;
        var truncated = bytes[..(bytes.Length - 9)];
        var headerOnly = bytes[..32];
        var badMagic = (byte[])bytes.Clone();
        badMagic[0] ^= 1;
        var badVersion = (byte[])bytes.Clone();
        badVersion[8] = 99;
        foreach (var (name, content) in new[] { ("flipped", flipped), ("truncated", truncated), ("header", headerOnly), ("magic", badMagic), ("version", badVersion), ("empty", Array.Empty<byte>()) })
        {
            string path = dir.Write(name + ".vec", content);
            var e = Assert.Throws<VectorIndexException>(() => VectorIndexes.Open(path).Dispose());
            Assert.Contains(path, e.Message);
        }
        Assert.Throws<VectorIndexException>(() => VectorIndexes.Open(dir.File("missing.vec")));
    }
}
