using Search.Core.IO;
using Search.Segmentation.Analysis;
using Search.Indexing.Lexical;
using Search.Indexing.Lexical.Codec;
using Search.TestSupport;

namespace Search.Indexing.Tests;

/// <summary>The engine's write path: persistence, merges, deletes, crash safety and corruption detection.</summary>
public sealed class LexicalIndexTests : IDisposable
{
    private static readonly Analyzer Plain = new(new HashSet<string>(), stem: false);
    private static readonly Bm25Parameters Parameters = new();
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IndexedDocument Doc(long id, string text, int segments = 1) =>
        new(id, "title" + id, Enumerable.Range(0, segments).Select(o => new IndexedSegment(o, "", $"{text} part{o} common")).ToList());

    private static HashSet<(long, int)> LiveKeys(LexicalIndex index)
    {
        var snapshot = index.AcquireSnapshot();
        try
        {
            var keys = new HashSet<(long, int)>();
            foreach (var s in snapshot.Segments)
                for (int d = 0; d < s.Segment.Reader.DocumentCount; d++)
                    if (!s.IsDeleted(d)) Assert.True(keys.Add((s.Segment.Reader.DocumentId(d), s.Segment.Reader.Ordinal(d))), "a live document appears twice");
            return keys;
        }
        finally { snapshot.Release(); }
    }

    private static List<LexicalHit> All(LexicalIndex index) => [.. index.Search(new LexicalQuery("common", 100_000))];

    [Fact]
    public void A_commit_survives_reopening_with_its_sequence()
    {
        string dir = _dir.File("idx");
        List<LexicalHit> before;
        using (var index = LexicalIndex.Open(dir, Plain, Parameters))
        {
            index.Apply([Doc(1, "alpha beta"), Doc(2, "beta gamma", 3)], []);
            index.Apply([Doc(3, "delta")], [1]);
            index.Commit(42);
            before = All(index);
        }
        using var reopened = LexicalIndex.Open(dir, Plain, Parameters);
        Assert.Equal(42, reopened.CommittedSequence);
        Assert.Equal(before, All(reopened));
        Assert.Empty(reopened.Search(new LexicalQuery("alpha", 10)));
        Assert.Equal(4, reopened.SegmentCount);
    }

    [Fact]
    public void Merges_keep_every_live_document_exactly_once_and_deletes_never_resurface()
    {
        var rng = new Random(11);
        string dir = _dir.File("idx");
        var expected = new Dictionary<long, int>();
        var index = LexicalIndex.Open(dir, Plain, Parameters, options: new LexicalIndexOptions(MaxSegments: 3, MergeFactor: 2));
        try
        {
            for (int round = 0; round < 120; round++)
            {
                var upserts = new List<IndexedDocument>();
                var removals = new List<long>();
                for (int i = 0; i < rng.Next(1, 6); i++)
                {
                    long id = rng.Next(60);
                    if (upserts.Any(u => u.DocumentId == id) || removals.Contains(id)) continue;
                    if (rng.Next(4) == 0)
                    {
                        removals.Add(id);
                        expected.Remove(id);
                    }
                    else
                    {
                        int n = rng.Next(1, 4);
                        upserts.Add(Doc(id, "round" + round, n));
                        expected[id] = n;
                    }
                }
                index.Apply(upserts, removals);
                if (round % 17 == 0) index.Commit(round);
                if (round % 29 == 0)
                {
                    index.Commit(round);
                    index.Dispose();
                    index = LexicalIndex.Open(dir, Plain, Parameters, options: new LexicalIndexOptions(MaxSegments: 3, MergeFactor: 2));
                }
                var want = expected.SelectMany(kv => Enumerable.Range(0, kv.Value).Select(o => (kv.Key, o))).ToHashSet();
                Assert.Equal(want, LiveKeys(index)); // also while a background merge runs
                if (round % 5 == 0)
                {
                    index.WaitForMerges();
                    Assert.Equal(want, LiveKeys(index));
                    Assert.True(index.IndexSegmentCount <= 3, $"{index.IndexSegmentCount} segments");
                }
                foreach (var hit in All(index)) Assert.True(expected.ContainsKey(hit.DocumentId), $"deleted document {hit.DocumentId} resurfaced");
            }
            index.ForceMerge();
            Assert.Equal(1, index.IndexSegmentCount);
            Assert.Equal(expected.Values.Sum(), All(index).Count);
        }
        finally { index.Dispose(); }
    }

    /// <summary>Fails the Nth file operation; a failing write leaves a torn file behind, as a crash would.</summary>
    private sealed class FaultyFileSystem(int failAt) : IDurableFileSystem
    {
        public int Operations { get; private set; }

        private void Step()
        {
            if (Operations++ == failAt) throw new IOException($"injected failure at operation {failAt}");
        }

        public void WriteDurably(string path, Action<Stream> write)
        {
            if (Operations == failAt)
            {
                using var torn = new MemoryStream();
                write(torn);
                File.WriteAllBytes(path, torn.ToArray().AsSpan(0, (int)(torn.Length / 2)).ToArray());
            }
            Step();
            DiskFileSystem.Instance.WriteDurably(path, write);
        }

        public void Rename(string from, string to)
        {
            Step();
            DiskFileSystem.Instance.Rename(from, to);
        }

        public void SyncDirectory(string directory)
        {
            Step();
            DiskFileSystem.Instance.SyncDirectory(directory);
        }

        public void Delete(string path)
        {
            Step();
            DiskFileSystem.Instance.Delete(path);
        }
    }

    [Fact]
    public void A_commit_interrupted_at_any_step_leaves_a_committed_state_readable()
    {
        for (int failAt = 0; ; failAt++)
        {
            string dir = _dir.File("crash" + failAt);
            List<LexicalHit> committed;
            using (var first = LexicalIndex.Open(dir, Plain, Parameters))
            {
                first.Apply([Doc(1, "one"), Doc(2, "two", 2), Doc(3, "three")], []);
                first.Commit(1);
                committed = All(first);
            }
            var faulty = new FaultyFileSystem(failAt);
            List<LexicalHit> next;
            bool failed = false;
            using (var second = LexicalIndex.Open(dir, Plain, Parameters, faulty))
            {
                second.Apply([Doc(4, "four"), Doc(2, "two again")], [3]);
                next = All(second);
                try
                {
                    second.Commit(2);
                }
                catch (IOException)
                {
                    failed = true;
                }
            }
            using var reopened = LexicalIndex.Open(dir, Plain, Parameters);
            if (!failed)
            {
                Assert.Equal(2, reopened.CommittedSequence);
                Assert.Equal(next, All(reopened));
                Assert.True(failAt > 3, "the commit should have had several steps");
                return;
            }
            Assert.Contains(reopened.CommittedSequence, new long[] { 1, 2 });
            Assert.Equal(reopened.CommittedSequence == 1 ? committed : next, All(reopened));
        }
    }

    [Fact]
    public void A_flipped_byte_in_any_index_file_is_detected()
    {
        string dir = _dir.File("flip");
        using (var index = LexicalIndex.Open(dir, Plain, Parameters))
        {
            index.Apply([Doc(1, "one two three"), Doc(2, "four five", 3), Doc(3, "six")], []);
            index.Commit(1);
            index.Apply([], [2]);
            index.Commit(2);
        }
        var files = Directory.GetFiles(dir).Where(f => Path.GetFileName(f) != LexicalIndex.LockFileName).ToList();
        Assert.Contains(files, f => f.EndsWith(".sgi", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(".del", StringComparison.Ordinal));
        Assert.Contains(files, f => Path.GetFileName(f) == IndexManifest.FileName);
        var rng = new Random(5);
        foreach (var file in files)
        {
            byte[] original = File.ReadAllBytes(file);
            var positions = new List<int> { 0, original.Length - 1 };
            for (int i = 0; i < 25; i++) positions.Add(rng.Next(original.Length));
            foreach (int position in positions)
            {
                byte[] corrupted = (byte[])original.Clone();
                corrupted[position] ^= (byte)(1 << rng.Next(8));
                File.WriteAllBytes(file, corrupted);
                Assert.ThrowsAny<CorruptIndexException>(() => LexicalIndex.Open(dir, Plain, Parameters).Dispose());
            }
            File.WriteAllBytes(file, original[..^1]); // truncated
            Assert.ThrowsAny<CorruptIndexException>(() => LexicalIndex.Open(dir, Plain, Parameters).Dispose());
            File.WriteAllBytes(file, original);
        }
        using var intact = LexicalIndex.Open(dir, Plain, Parameters);
        Assert.Equal(2, intact.SegmentCount);
    }

    [Fact]
    public void Searches_run_while_writes_merges_and_commits_go_on()
    {
        using var index = LexicalIndex.Open(_dir.File("live"), Plain, Parameters, options: new LexicalIndexOptions(MaxSegments: 4, MergeFactor: 3));
        index.Apply(Enumerable.Range(0, 50).Select(i => Doc(i, "seed")).ToList(), []);
        using var stop = new CancellationTokenSource();
        var failures = new List<Exception>();
        int searches = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // Documents 0–49 always exist in some version, so a search for the shared term always finds 50.
                    var hits = index.Search(new LexicalQuery("common", 1000, GroupByDocument: true));
                    if (hits.Count(h => h.DocumentId < 50) != 50) throw new InvalidOperationException($"saw {hits.Count} documents");
                    Interlocked.Increment(ref searches);
                }
                catch (Exception e)
                {
                    lock (failures) failures.Add(e);
                    return;
                }
            }
        })).ToList();
        var rng = new Random(8);
        for (int round = 0; round < 300 || (Volatile.Read(ref searches) < 200 && failures.Count == 0 && round < 100_000); round++)
        {
            index.Apply([Doc(rng.Next(50), "v" + round, rng.Next(1, 3)), Doc(50 + round % 500, "extra")], round % 3 == 0 ? [50L + (round + 250) % 500] : []);
            if (round % 50 == 0) index.Commit(round);
        }
        stop.Cancel();
        Task.WaitAll([.. readers]);
        Assert.Empty(failures);
        Assert.True(searches > 0);
    }

    [Fact]
    public void A_bulk_load_cuts_segments_by_memory_and_later_versions_replace_earlier_ones()
    {
        using var index = LexicalIndex.Open(_dir.File("bulk"), Plain, Parameters, options: new LexicalIndexOptions(MaxSegments: 100));
        using (var load = index.StartBulkLoad(bufferBytes: 8192))
        {
            for (int i = 0; i < 500; i++) load.Add(Doc(i % 300, "v" + i));
        }
        index.WaitForMerges();
        Assert.True(index.IndexSegmentCount > 3, $"{index.IndexSegmentCount} segments");
        Assert.Equal(Enumerable.Range(0, 300).Select(i => ((long)i, 0)).ToHashSet(), LiveKeys(index));
        Assert.Equal(50, Assert.Single(index.Search(new LexicalQuery("v350", 10))).DocumentId);
        Assert.Empty(index.Search(new LexicalQuery("v50", 10)));
        Assert.Equal(250, Assert.Single(index.Search(new LexicalQuery("v250", 10))).DocumentId);
    }

    [Fact]
    public void A_second_process_cannot_take_the_write_lock()
    {
        string dir = _dir.File("locked");
        using var first = LexicalIndex.Open(dir, Plain, Parameters);
        Assert.Throws<IndexLockedException>(() => LexicalIndex.Open(dir, Plain, Parameters));
    }

    [Fact]
    public void A_reader_opens_the_writers_last_commit_without_its_lock_and_never_writes()
    {
        string dir = _dir.File("shared");
        using var writer = LexicalIndex.Open(dir, Plain, Parameters, options: new LexicalIndexOptions(MaxSegments: 2, MergeFactor: 2));
        for (int i = 0; i < 6; i++) writer.Upsert(Doc(i, "w" + i));
        writer.Commit(6);
        writer.Upsert(Doc(99, "uncommitted"));

        using (var reader = LexicalIndex.OpenReadOnly(dir, Plain, Parameters))
        {
            Assert.Equal(6, reader.CommittedSequence);
            Assert.Equal(6, All(reader).Count); // the commit, not what the writer holds in memory
            Assert.Empty(reader.Search(new LexicalQuery("uncommitted", 10)));
            Assert.Throws<InvalidOperationException>(() => reader.Upsert(Doc(7, "x")));
            Assert.Throws<InvalidOperationException>(() => reader.Commit(7));
            // The writer merges and commits on: the reader's open segments stay readable although their files go.
            for (int i = 6; i < 12; i++) writer.Upsert(Doc(i, "w" + i));
            writer.Commit(12);
            writer.WaitForMerges();
            writer.Commit(12);
            Assert.Equal(6, All(reader).Count);
        }
        var files = Directory.GetFiles(dir).Select(Path.GetFileName).ToHashSet();
        using (var again = LexicalIndex.OpenReadOnly(dir, Plain, Parameters))
        {
            Assert.Equal(12, again.CommittedSequence);
            Assert.Equal(13, All(again).Count);
        }
        Assert.Equal(files, Directory.GetFiles(dir).Select(Path.GetFileName).ToHashSet()); // opening deleted nothing
    }
}
