using Search.Benchmarks.Workloads;
using Search.Indexing.Vectors;
using Search.TestSupport;

namespace Search.Indexing.Tests;

// One class, so tests that switch the shim's process-wide SIMD flag never run beside the others.
public sealed class FaissVectorIndexTests
{
    [Theory]
    [InlineData("Flat")]
    [InlineData("HNSW32,Flat")]
    public void Faiss_add_replace_remove_search(string spec)
    {
        AddReplaceRemove.Run(VectorIndexes.Create(spec, 16));
    }

    [Fact]
    public void Faiss_flat_top_k_equals_brute_force()
    {
        const int d = 48, n = 4000, k = 10;
        var data = VectorReference.Data(n, d, seed: 41);
        var ids = VectorReference.Ids(n, offset: long.MaxValue / 2);
        using var index = FaissVectorIndex.Create("Flat", d);
        index.Add(ids, data);
        var queries = VectorReference.Data(20, d, seed: 42);
        for (int q = 0; q < 20; q++)
        {
            var query = queries.AsSpan(q * d, d);
            var (gotIds, gotScores) = VectorReference.Search(index, query, k);
            VectorReference.AssertSameTop(VectorReference.TopK(data, ids, d, query, k), gotIds, gotScores);
        }
    }

    [Fact]
    public void Faiss_hnsw_recall_at_10_against_exact_is_at_least_095_on_clustered_vectors()
    {
        const int d = 64, n = 20000, queries = 200, k = 10;
        var gen = new ClusteredVectors(d, clusters: 200, noise: 0.7f / MathF.Sqrt(d), seed: 51);
        var data = gen.Next(n);
        var queryData = gen.Next(queries);
        var ids = VectorReference.Ids(n);
        using var exact = new ExactVectorIndex(d);
        using var hnsw = FaissVectorIndex.Create("HNSW32,Flat", d);
        exact.Add(ids, data);
        hnsw.Add(ids, data);
        hnsw.EfSearch = 64;
        double recall = 0;
        for (int q = 0; q < queries; q++)
        {
            var query = queryData.AsSpan(q * d, d);
            var truth = VectorReference.Search(exact, query, k).Ids;
            var got = VectorReference.Search(hnsw, query, k).Ids;
            recall += (double)got.Intersect(truth).Count() / k;
        }
        recall /= queries;
        Assert.True(recall >= 0.95, $"HNSW recall@10 {recall:0.000}");
    }

    [Fact]
    public void Faiss_ivf_trains_on_first_batch_and_searches_with_nprobe()
    {
        const int d = 32, n = 5000;
        var data = VectorReference.Data(n, d, seed: 61);
        var ids = VectorReference.Ids(n);
        using var index = FaissVectorIndex.Create("IVF16,Flat", d);
        Assert.False(index.IsTrained);
        index.Add(ids, data);
        Assert.True(index.IsTrained);
        index.Nprobe = 16; // every list: exact
        var query = data.AsSpan(123 * d, d);
        var (got, _) = VectorReference.Search(index, query, 5);
        Assert.Equal(ids[123], got[0]);
        Assert.Equal(1, index.Remove([ids[123]]));
        (got, _) = VectorReference.Search(index, query, 5);
        Assert.DoesNotContain(ids[123], got);
    }

    [Theory]
    [InlineData("HNSW32,Flat")]
    [InlineData("IVF8,Flat")]
    [InlineData("IVF8,PQ4")]
    public void Faiss_save_open_round_trip_survives_restart(string spec)
    {
        using var dir = new TempDirectory();
        const int d = 24;
        var data = VectorReference.Data(1500, d, seed: 71);
        var ids = VectorReference.Ids(1500);
        var query = VectorReference.Data(1, d, seed: 72);
        (long[] Ids, float[] Scores) before;
        using (var index = VectorIndexes.Create(spec, d))
        {
            index.Add(ids, data);
            index.Remove([ids[0], ids[9]]);
            index.Add([ids[10]], data.AsSpan(0, d));
            before = VectorReference.Search(index, query, 10);
            index.Save(dir.File("faiss.vec"));
        }
        using var reopened = VectorIndexes.Open(dir.File("faiss.vec"));
        var faiss = Assert.IsType<FaissVectorIndex>(reopened);
        Assert.Equal(spec, faiss.Spec);
        Assert.Equal(1498, reopened.Count);
        Assert.Equal(d, reopened.Dimension);
        var after = VectorReference.Search(reopened, query, 10);
        Assert.Equal(before.Ids, after.Ids);
        Assert.Equal(before.Scores, after.Scores);
        Assert.Equal(0, reopened.Remove([ids[0]]));
    }

    [Theory]
    [InlineData("Flat")]
    [InlineData("HNSW32,Flat")]
    [InlineData("IVF8,Flat")]
    public void Faiss_compact_drops_tombstones_and_keeps_results(string spec)
    {
        const int d = 16, n = 2000;
        var data = VectorReference.Data(n, d, seed: 111);
        var ids = VectorReference.Ids(n);
        using var index = FaissVectorIndex.Create(spec, d);
        index.Add(ids, data);
        if (spec.StartsWith("IVF", StringComparison.Ordinal)) index.Nprobe = 8;
        if (spec.StartsWith("HNSW", StringComparison.Ordinal)) index.EfSearch = 200;
        Assert.Equal(n / 2, index.Remove(ids.AsSpan(0, n / 2)));
        index.Add([ids[^1]], data.AsSpan(0, d)); // a replacement tombstones too
        Assert.Equal(n + 1, index.StoredCount);
        var query = data.AsSpan(5 * d, d);
        var before = VectorReference.Search(index, query, 10);
        index.Compact();
        Assert.Equal(n / 2, index.Count);
        Assert.Equal(n / 2, index.StoredCount);
        var after = VectorReference.Search(index, query, 10);
        Assert.Equal(before.Ids, after.Ids);
        Assert.Equal(0, index.Remove(ids.AsSpan(0, 10)));
        Assert.Equal(1, index.Remove([ids[^1]]));
        index.Compact();
        Assert.Equal(n / 2 - 1, index.StoredCount);
    }

    [Fact]
    public void Faiss_corrupt_or_truncated_files_are_rejected()
    {
        using var dir = new TempDirectory();
        using (var index = VectorIndexes.Create("HNSW16,Flat", 8))
        {
            index.Add(VectorReference.Ids(300), VectorReference.Data(300, 8, seed: 81));
            index.Save(dir.File("ok.vec"));
        }
        CorruptFiles.AssertRejected(dir, dir.File("ok.vec"));

        // A well-formed container around garbage: the checksum passes, so FAISS itself must refuse it.
        var garbage = new byte[4096];
        new Random(82).NextBytes(garbage);
        foreach (var payload in new[] { garbage, garbage[..3], ShimHeaderThenGarbage(garbage) })
        {
            string path = dir.File($"garbage{payload.Length}.vec");
            VectorFile.Save(path, VectorFileKind.Faiss, 8, payload.Length, s => s.Write(payload));
            Assert.Throws<VectorIndexException>(() => VectorIndexes.Open(path).Dispose());
        }
    }

    private static byte[] ShimHeaderThenGarbage(byte[] garbage)
    {
        // Valid shim magic/version, empty spec, zero labels, then a FAISS blob of garbage.
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(0x314D4853u);
        w.Write(1u);
        w.Write(0u);
        w.Write(0L);
        w.Write((long)garbage.Length);
        w.Write(garbage);
        return ms.ToArray();
    }

    [Fact]
    public void Faiss_shim_reports_bad_calls_as_exceptions_without_crashing()
    {
        var e = Assert.Throws<VectorIndexException>(() => FaissVectorIndex.Create("NoSuchIndex,Flat", 8));
        Assert.Contains("NoSuchIndex", e.Message);
        Assert.Throws<VectorIndexException>(() => FaissVectorIndex.Create("IDMap2,Flat", 8));

        using var index = FaissVectorIndex.Create("HNSW32,Flat", 8);
        // Empty index: nothing found, nothing removed.
        Assert.Equal(0, index.Search(new float[8], 10, new long[10], new float[10]));
        Assert.Equal(0, index.Remove([1, 2, 3]));
        // Wrong dimension, through the wrapper and straight into the shim.
        Assert.Throws<ArgumentException>(() => index.Add([1], new float[7]));
        Assert.Throws<ArgumentException>(() => index.Search(new float[9], 1, new long[1], new float[1]));
        unsafe
        {
            using var handle = RawHandle(8);
            long id = 1;
            var x = new float[16];
            fixed (float* p = x)
            {
                Assert.Equal(-1, FaissNative.faiss_shim_add(handle, 1, &id, p, 16));
                Assert.Contains("dimension", FaissNative.LastError);
                Assert.Equal(-1, FaissNative.faiss_shim_search(handle, p, 16, 1, &id, p, out _));
                Assert.Equal(-1, FaissNative.faiss_shim_search(handle, p, 8, 0, &id, p, out _));
                Assert.Equal(-1, FaissNative.faiss_shim_add(handle, 1, null, p, 8));
                Assert.Equal(-1, FaissNative.faiss_shim_train(handle, 0, p, 8));
            }
            Assert.Equal(-1, FaissNative.faiss_shim_dimension(new FaissIndexHandle()));
            Assert.Equal(-1, FaissNative.faiss_shim_deserialize(null, 10, out _));
            Assert.Equal(-1, FaissNative.faiss_shim_read_index_dimension("/nonexistent/index.faiss", out _));
            Assert.NotEmpty(FaissNative.LastError);
        }
        // Parameters that do not apply to the index type.
        Assert.Throws<VectorIndexException>(() => index.Nprobe = 4);
        using var flat = FaissVectorIndex.Create("Flat", 8);
        Assert.Throws<VectorIndexException>(() => flat.EfSearch = 32);
        // IVF with fewer training points than lists.
        using var ivf = FaissVectorIndex.Create("IVF256,Flat", 8);
        Assert.Throws<VectorIndexException>(() => ivf.Add(VectorReference.Ids(10), VectorReference.Data(10, 8, seed: 91)));
        Assert.Equal(0, ivf.Count);
        // The index still works after all of that.
        index.Add([5], [1, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal(1, index.Search([1, 0, 0, 0, 0, 0, 0, 0], 3, new long[3], new float[3]));
    }

    private static unsafe FaissIndexHandle RawHandle(int dimension)
    {
        FaissNative.Check(FaissNative.faiss_shim_create("Flat", dimension, out IntPtr raw), "create");
        return new FaissIndexHandle(raw);
    }

    [Fact]
    public void Simd_distance_kernels_match_scalar_and_managed_reference()
    {
        var random = new Random(101);
        try
        {
            foreach (int d in new[] { 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 384, 768 })
            {
                var x = new float[d];
                var y = new float[d];
                for (int i = 0; i < d; i++)
                {
                    x[i] = (float)(random.NextDouble() * 2 - 1);
                    y[i] = (float)(random.NextDouble() * 2 - 1);
                }
                double ip = 0, l2 = 0;
                for (int i = 0; i < d; i++)
                {
                    ip += (double)x[i] * y[i];
                    l2 += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
                }
                FaissVectorIndex.SimdEnabled = true;
                float ipSimd = FaissVectorIndex.NativeInnerProduct(x, y), l2Simd = FaissVectorIndex.NativeL2Squared(x, y);
                FaissVectorIndex.SimdEnabled = false;
                Assert.False(FaissVectorIndex.SimdActive);
                float ipScalar = FaissVectorIndex.NativeInnerProduct(x, y), l2Scalar = FaissVectorIndex.NativeL2Squared(x, y);
                double tolerance = 1e-5 * d + 1e-6;
                Assert.True(Math.Abs(ipSimd - ip) < tolerance, $"d={d}: SIMD ip {ipSimd} vs {ip}");
                Assert.True(Math.Abs(ipScalar - ip) < tolerance, $"d={d}: scalar ip {ipScalar} vs {ip}");
                Assert.True(Math.Abs(l2Simd - l2) < tolerance, $"d={d}: SIMD l2 {l2Simd} vs {l2}");
                Assert.True(Math.Abs(l2Scalar - l2) < tolerance, $"d={d}: scalar l2 {l2Scalar} vs {l2}");
            }

            // FAISS's own flat search goes through the linked kernels: same hits with SIMD on and off, and as the reference.
            const int dim = 100, n = 3000, k = 10;
            var data = VectorReference.Data(n, dim, seed: 102);
            var ids = VectorReference.Ids(n);
            var queries = VectorReference.Data(10, dim, seed: 103);
            using var flat = FaissVectorIndex.Create("Flat", dim);
            flat.Add(ids, data);
            for (int q = 0; q < 10; q++)
            {
                var query = queries.AsSpan(q * dim, dim);
                var reference = VectorReference.TopK(data, ids, dim, query, k);
                FaissVectorIndex.SimdEnabled = false;
                var (scalarIds, scalarScores) = VectorReference.Search(flat, query, k);
                FaissVectorIndex.SimdEnabled = true;
                var (simdIds, simdScores) = VectorReference.Search(flat, query, k);
                VectorReference.AssertSameTop(reference, scalarIds, scalarScores);
                VectorReference.AssertSameTop(reference, simdIds, simdScores);
            }
        }
        finally
        {
            FaissVectorIndex.SimdEnabled = true;
        }
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported, FaissVectorIndex.SimdActive);
    }
}
