using Search.Indexing.Embeddings;
using Search.Indexing.Vectors;
using Search.Indexing.Lexical;
using Search.Indexing.Lexical.Codec;
using Search.Segmentation.Analysis;

namespace Search.Ranking.Hybrid;

/// <summary>A segment as the dense side sees it: its key, its text and where it sits.</summary>
public sealed record DenseSegment(long DocumentId, int Ordinal, string DocumentTitle, string Place, string Text);

/// <summary>
/// The semantic side of one collection: an embedder learned from its segments, and two vector indexes
/// over them — plain (the segment's own text) and situated (the segment with its document title, section
/// path or chapter, and neighbouring segments, after SitEmb: a passage's meaning depends on where it sits).
/// </summary>
public sealed class DenseCollectionIndex : IDisposable
{
    /// <summary>Weight of the context vector in a situated vector; the segment itself keeps weight 1.</summary>
    public const float ContextWeight = 0.5f;

    private readonly (long DocumentId, int Ordinal)[] _keys;
    private readonly float[] _plain;
    private readonly float[] _situated;
    private readonly IVectorIndex _plainIndex;
    private readonly IVectorIndex _situatedIndex;
    private readonly Dictionary<(long, int), int> _rows;

    private DenseCollectionIndex(CorpusEmbedder embedder, (long, int)[] keys, float[] plain, float[] situated, long sequence, TimeSpan trainingTime)
    {
        Embedder = embedder;
        _keys = keys;
        _plain = plain;
        _situated = situated;
        Sequence = sequence;
        TrainingTime = trainingTime;
        _rows = new Dictionary<(long, int), int>(keys.Length);
        for (int i = 0; i < keys.Length; i++) _rows[keys[i]] = i;
        var ids = new long[keys.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = i;
        _plainIndex = VectorIndexes.Create(VectorIndexes.Exact, embedder.Dimension);
        _plainIndex.Add(ids, plain);
        _situatedIndex = VectorIndexes.Create(VectorIndexes.Exact, embedder.Dimension);
        _situatedIndex.Add(ids, situated);
    }

    /// <summary>The collection's embedder.</summary>
    public CorpusEmbedder Embedder { get; }

    /// <summary>The change sequence number the index reflects.</summary>
    public long Sequence { get; }

    /// <summary>When the index was built.</summary>
    public DateTime BuiltAt { get; } = DateTime.UtcNow;

    /// <summary>How long learning the embedder and embedding the segments took.</summary>
    public TimeSpan TrainingTime { get; }

    /// <summary>Number of segments.</summary>
    public int Count => _keys.Length;

    /// <summary>Learns the embedder from the segments (in document order) and embeds them, plain and situated.</summary>
    public static DenseCollectionIndex Build(IReadOnlyList<DenseSegment> segments, long sequence, CorpusEmbedderOptions options)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var texts = new string[segments.Count];
        for (int i = 0; i < texts.Length; i++) texts[i] = segments[i].Text;
        var embedder = CorpusEmbedderTrainer.Train(texts, options, Analyzer.English);
        int d = embedder.Dimension;
        var plain = new float[segments.Count * d];
        Parallel.For(0, segments.Count, i => embedder.Embed(texts[i], plain.AsSpan(i * d, d)));
        var situated = new float[plain.Length];
        var context = new float[d];
        for (int i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            embedder.Embed(s.DocumentTitle + " \n " + s.Place, context);
            // Neighbours in the same document carry what the passage continues or answers.
            if (i > 0 && segments[i - 1].DocumentId == s.DocumentId) System.Numerics.Tensors.TensorPrimitives.Add(context, plain.AsSpan((i - 1) * d, d), context);
            if (i + 1 < segments.Count && segments[i + 1].DocumentId == s.DocumentId) System.Numerics.Tensors.TensorPrimitives.Add(context, plain.AsSpan((i + 1) * d, d), context);
            EmbeddingVectors.Normalize(context);
            var target = situated.AsSpan(i * d, d);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(context, ContextWeight, plain.AsSpan(i * d, d), target);
            EmbeddingVectors.Normalize(target);
        }
        var keys = new (long, int)[segments.Count];
        for (int i = 0; i < keys.Length; i++) keys[i] = (segments[i].DocumentId, segments[i].Ordinal);
        return new DenseCollectionIndex(embedder, keys, plain, situated, sequence, clock.Elapsed);
    }

    /// <summary>The stored vector of a segment, or empty when it is not indexed.</summary>
    public ReadOnlySpan<float> Vector(long documentId, int ordinal, bool situated) =>
        _rows.TryGetValue((documentId, ordinal), out int row) ? (situated ? _situated : _plain).AsSpan(row * Embedder.Dimension, Embedder.Dimension) : default;

    /// <summary>The nearest segments to a unit query vector, best first.</summary>
    public List<(long DocumentId, int Ordinal, double Score)> Search(ReadOnlySpan<float> query, int k, bool situated)
    {
        k = Math.Min(k, _keys.Length);
        var result = new List<(long, int, double)>(k);
        if (k == 0) return result;
        var ids = new long[k];
        var scores = new float[k];
        int found = (situated ? _situatedIndex : _plainIndex).Search(query, k, ids, scores);
        for (int i = 0; i < found; i++)
        {
            var key = _keys[ids[i]];
            result.Add((key.DocumentId, key.Ordinal, scores[i]));
        }
        return result;
    }

    // A folder of its own inside the generation: the lexical index owns (and cleans) the generation's files.
    private const string Folder = "dense";
    private const string FileName = "dense.bin";
    private static ReadOnlySpan<byte> Magic => "SRCHDNS1"u8;

    /// <summary>
    /// Writes the index into a generation's directory with the lexical index's commit rules: a temporary
    /// file forced to disk, renamed over the last one, the directory synced; a CRC-32C trailer guards it.
    /// </summary>
    public void Save(string generationDirectory, IIndexFileSystem files)
    {
        string directory = Path.Combine(generationDirectory, Folder);
        bool created = !System.IO.Directory.Exists(directory);
        System.IO.Directory.CreateDirectory(directory);
        if (created) files.SyncDirectory(generationDirectory);
        string path = Path.Combine(directory, FileName), temp = path + ".tmp";
        files.WriteDurably(temp, stream =>
        {
            using var body = new MemoryStream();
            using (var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(Sequence);
                w.Write(_keys.Length);
                w.Write(Embedder.Dimension);
                foreach (var (doc, ordinal) in _keys)
                {
                    w.Write(doc);
                    w.Write(ordinal);
                }
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_plain.AsSpan()));
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_situated.AsSpan()));
                Embedder.Save(body);
            }
            var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
            stream.Write(bytes);
            Span<byte> crc = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Compute(bytes));
            stream.Write(crc);
        });
        files.Rename(temp, path);
        files.SyncDirectory(directory);
    }

    /// <summary>
    /// The index saved in <paramref name="generationDirectory"/> if it reflects <paramref name="sequence"/>; null when
    /// there is none or it is older. A damaged file throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static DenseCollectionIndex? TryLoad(string generationDirectory, long sequence)
    {
        string path = Path.Combine(generationDirectory, Folder, FileName);
        if (!File.Exists(path)) return null;
        var all = File.ReadAllBytes(path);
        if (all.Length < Magic.Length + 16 || !all.AsSpan().StartsWith(Magic)) throw new InvalidDataException($"{path}: not a dense index file");
        var body = all.AsSpan(0, all.Length - 4);
        if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(all.Length - 4)) != Crc32C.Compute(body))
            throw new InvalidDataException($"{path}: checksum mismatch");
        using var r = new BinaryReader(new MemoryStream(all, 0, all.Length - 4), System.Text.Encoding.UTF8);
        r.ReadBytes(Magic.Length);
        if (r.ReadInt64() != sequence) return null;
        int count = r.ReadInt32(), dimension = r.ReadInt32();
        if (count < 0 || dimension < 1) throw new InvalidDataException($"{path}: bad header");
        var keys = new (long, int)[count];
        for (int i = 0; i < count; i++) keys[i] = (r.ReadInt64(), r.ReadInt32());
        int at = (int)r.BaseStream.Position, tableBytes = checked(count * dimension * sizeof(float));
        if (at + 2L * tableBytes > body.Length) throw new InvalidDataException($"{path}: truncated");
        var plain = new float[count * dimension];
        var situated = new float[count * dimension];
        body.Slice(at, tableBytes).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(plain.AsSpan()));
        body.Slice(at + tableBytes, tableBytes).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(situated.AsSpan()));
        int embedderAt = at + 2 * tableBytes;
        var embedder = CorpusEmbedder.Load(new MemoryStream(all, embedderAt, body.Length - embedderAt), Analyzer.English);
        if (embedder.Dimension != dimension) throw new InvalidDataException($"{path}: the embedder has {embedder.Dimension} dimensions, the vectors {dimension}");
        return new DenseCollectionIndex(embedder, keys, plain, situated, sequence, TimeSpan.Zero) { LoadedFromDisk = true };
    }

    /// <summary>Whether the index was read from disk rather than learned in this process.</summary>
    public bool LoadedFromDisk { get; private init; }

    /// <inheritdoc />
    public void Dispose()
    {
        _plainIndex.Dispose();
        _situatedIndex.Dispose();
    }
}
