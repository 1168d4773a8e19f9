namespace Search.Segmentation.Analysis;

/// <summary>
/// A topic class for each word a collection knows, learned from its embedding: words the collection uses
/// together share a class, so a passage that keeps to one topic in different words ("rover", "wheel",
/// "terrain") still coheres for topic segmentation, although no single word repeats.
/// </summary>
public sealed class WordClasses
{
    private readonly Dictionary<string, int> _classOf;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Classes of words (as the collection's analyzer normalises them); class ids run from 0 to <paramref name="count"/> − 1.</summary>
    public WordClasses(Dictionary<string, int> classOf, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        foreach (var c in classOf.Values)
            if ((uint)c >= (uint)count) throw new ArgumentOutOfRangeException(nameof(classOf), $"class {c} is outside 0..{count - 1}");
        _classOf = classOf;
        _lookup = classOf.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = count;
    }

    /// <summary>Number of classes.</summary>
    public int Count { get; }

    /// <summary>Number of words with a class.</summary>
    public int Words => _classOf.Count;

    /// <summary>Every word with its class, in ordinal order of the words (so a serialisation is deterministic).</summary>
    public IReadOnlyList<(string Word, int Class)> All()
    {
        var all = new List<(string, int)>(_classOf.Count);
        foreach (var (word, wordClass) in _classOf) all.Add((word, wordClass));
        all.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return all;
    }

    /// <summary>The class of <paramref name="word"/>; false for a word the collection has no class for.</summary>
    public bool TryGetClass(ReadOnlySpan<char> word, out int wordClass) => _lookup.TryGetValue(word, out wordClass);
}
