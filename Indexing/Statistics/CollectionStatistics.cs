using System.Text;
using Search.Core.IO;
using Search.Segmentation.Analysis;

namespace Search.Indexing.Statistics;

/// <summary>
/// What a collection's indexing pipeline publishes for ingestion to segment new documents with: how common its
/// words are across its segments (the more frequent terms of its lexical index) and the word classes of its learned
/// embedder. Saved in the store, so every process segments a document the same way against the same version.
/// </summary>
public sealed class CollectionStatistics : ITermStatistics
{
    /// <summary>Terms kept at most: the frequent ones carry the weighting; a rarer word counts as nearly unseen, which it almost is.</summary>
    public const int MaxTerms = 1 << 18;

    /// <summary>Terms in fewer segments than this are left out.</summary>
    public const int MinimumFrequency = 2;

    private const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "SRCHSTAT"u8;
    private readonly Dictionary<string, long> _frequencies;
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Analyzer _analyzer;

    /// <summary>Statistics over <paramref name="segments"/> segments.</summary>
    public CollectionStatistics(long segments, IReadOnlyList<(string Term, long Frequency)> terms, WordClasses? wordClasses, Analyzer analyzer)
    {
        SegmentCount = segments;
        _frequencies = new Dictionary<string, long>(terms.Count, StringComparer.Ordinal);
        foreach (var (term, frequency) in terms) _frequencies[term] = frequency;
        _lookup = _frequencies.GetAlternateLookup<ReadOnlySpan<char>>();
        WordClasses = wordClasses;
        _analyzer = analyzer;
    }

    /// <summary>Segments in the collection when the statistics were taken.</summary>
    public long SegmentCount { get; }

    /// <summary>Terms with a frequency.</summary>
    public int Terms => _frequencies.Count;

    /// <inheritdoc />
    public int Segments => (int)Math.Min(int.MaxValue, SegmentCount);

    /// <inheritdoc />
    public WordClasses? WordClasses { get; }

    /// <inheritdoc />
    public long SegmentFrequency(string word)
    {
        var terms = _analyzer.Analyze(word);
        return terms.Count == 0 ? 0 : _lookup.TryGetValue(terms[0], out long frequency) ? frequency : 0;
    }

    /// <summary>The statistics as bytes (a checksummed record).</summary>
    public byte[] Serialize()
    {
        using var output = new MemoryStream();
        ChecksummedFile.WriteTo(output, body =>
        {
            using var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(SegmentCount);
            w.Write(_frequencies.Count);
            foreach (var (term, frequency) in _frequencies)
            {
                w.Write(term);
                w.Write(frequency);
            }
            var classes = WordClasses?.All() ?? [];
            w.Write(WordClasses?.Count ?? -1);
            w.Write(classes.Count);
            foreach (var (word, wordClass) in classes)
            {
                w.Write(word);
                w.Write(wordClass);
            }
        });
        return output.ToArray();
    }

    /// <summary>Reads statistics written by <see cref="Serialize"/>; <see cref="InvalidDataException"/> when they are damaged.</summary>
    public static CollectionStatistics Deserialize(ReadOnlySpan<byte> bytes, Analyzer analyzer)
    {
        var body = ChecksummedFile.Verify(bytes, "collection statistics");
        if (!body.StartsWith(Magic)) throw new InvalidDataException("collection statistics: bad magic");
        using var r = new BinaryReader(new MemoryStream(body.ToArray()), Encoding.UTF8);
        try
        {
            r.ReadBytes(Magic.Length);
            if (r.ReadInt32() != FormatVersion) throw new InvalidDataException("collection statistics: unsupported version");
            long segments = r.ReadInt64();
            int count = r.ReadInt32();
            if (count < 0) throw new InvalidDataException("collection statistics: bad term count");
            var terms = new List<(string, long)>(Math.Min(count, MaxTerms));
            for (int i = 0; i < count; i++) terms.Add((r.ReadString(), r.ReadInt64()));
            int classCount = r.ReadInt32(), words = r.ReadInt32();
            WordClasses? classes = null;
            if (classCount >= 0)
            {
                var classOf = new Dictionary<string, int>(Math.Max(0, words), StringComparer.Ordinal);
                for (int i = 0; i < words; i++) classOf[r.ReadString()] = r.ReadInt32();
                classes = new WordClasses(classOf, classCount);
            }
            return new CollectionStatistics(segments, terms, classes, analyzer);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException("collection statistics: truncated or malformed", e);
        }
    }
}
