using Search.Indexing.Dense;
using Search.TestSupport;

namespace Search.Indexing.Tests;

/// <summary>The log a model's vectors are written to as they are made: durable per batch, keyed by text, a torn tail cut off.</summary>
public sealed class EmbeddingJournalTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static float[] Vector(int seed) => [seed, seed + 0.5f, -seed];

    [Fact]
    public void Vectors_come_back_by_text_after_reopening_and_a_torn_tail_is_cut_off()
    {
        string path = _dir.File("j/journal.bin");
        var keys = Enumerable.Range(0, 5).Select(i => EmbeddingJournal.Key("text " + i)).ToList();
        using (var journal = EmbeddingJournal.Open(path, "model-a", 3)!)
        {
            journal.Append(keys[..3], [.. Vector(0), .. Vector(1), .. Vector(2)]);
            journal.Append(keys[3..], [.. Vector(3), .. Vector(4)]);
            Assert.Equal(5, journal.Count);
        }
        // A crash in the middle of the last record's write.
        using (var file = new FileStream(path, FileMode.Open)) file.SetLength(file.Length - 5);
        using (var journal = EmbeddingJournal.Open(path, "model-a", 3)!)
        {
            Assert.Equal(4, journal.Count);
            var v = new float[3];
            for (int i = 0; i < 4; i++)
            {
                Assert.True(journal.TryGet(keys[i], v));
                Assert.Equal(Vector(i), v);
            }
            Assert.False(journal.TryGet(keys[4], v));
            Assert.False(journal.TryGet(EmbeddingJournal.Key("never"), v));
            // A damaged record ends what is trusted.
        }
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        using (var journal = EmbeddingJournal.Open(path, "model-a", 3)!) Assert.Equal(3, journal.Count);
        // Another model (or width) starts over; a reset empties it.
        using (var other = EmbeddingJournal.Open(path, "model-b", 3)!)
        {
            Assert.Equal(0, other.Count);
            other.Append([keys[0]], Vector(9));
            other.Reset();
            Assert.Equal(0, other.Count);
        }
        using (var reopened = EmbeddingJournal.Open(path, "model-b", 3)!) Assert.Equal(0, reopened.Count);
        // One process at a time.
        using var held = EmbeddingJournal.Open(path, "model-b", 3)!;
        Assert.Null(EmbeddingJournal.Open(path, "model-b", 3));
    }
}
