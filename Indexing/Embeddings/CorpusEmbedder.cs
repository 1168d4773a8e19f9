using Search.Core.IO;
using Microsoft.Extensions.AI;
using Search.Segmentation.Analysis;

namespace Search.Indexing.Embeddings;

/// <summary>
/// The zero-download embedder: latent semantic analysis learned from the collection's own segments.
/// A text's vector is its sublinear tf-idf vector projected on the top right singular vectors of the
/// segment-term matrix; a word the collection never saw gets the mean vector of the known words that
/// share its character n-grams, so misspellings and unseen inflections still land near their relatives.
/// </summary>
public sealed class CorpusEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    private const int FileVersion = 1;
    private static ReadOnlySpan<byte> Magic => "SRCHLSA1"u8;

    private readonly Dictionary<string, int> _terms;
    private readonly float[] _idf;
    private readonly float[] _termVectors; // terms × Dimension: row t is term t's projection
    private readonly SubwordVectors _subwords;
    private readonly Analyzer _analyzer;

    internal CorpusEmbedder(Dictionary<string, int> terms, float[] idf, float[] termVectors, int dimension, string name, Analyzer analyzer)
    {
        _terms = terms;
        _idf = idf;
        _termVectors = termVectors;
        Dimension = dimension;
        _analyzer = analyzer;
        _subwords = new SubwordVectors(terms, termVectors, dimension);
        Metadata = new EmbeddingGeneratorMetadata("search-lsa", null, name, dimension);
    }

    /// <summary>Length of every vector.</summary>
    public int Dimension { get; }

    /// <summary>Number of distinct terms learned.</summary>
    public int Vocabulary => _terms.Count;

    /// <summary>What this embedder is.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>The unit-length vector of <paramref name="text"/> written into <paramref name="vector"/>; zero when no word carries meaning.</summary>
    public void Embed(string text, Span<float> vector)
    {
        vector.Clear();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        _analyzer.Analyze(text, term =>
        {
            var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
            lookup[term] = lookup.TryGetValue(term, out int c) ? c + 1 : 1;
        });
        Span<float> unseen = stackalloc float[Dimension];
        foreach (var (term, count) in counts)
        {
            float weight = 1 + MathF.Log(count);
            if (_terms.TryGetValue(term, out int t))
            {
                weight *= _idf[t];
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(_termVectors.AsSpan(t * Dimension, Dimension), weight, vector, vector);
            }
            else if (_subwords.TryEstimate(term, unseen, out float idf))
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(unseen, weight * idf, vector, vector);
            }
        }
        EmbeddingVectors.Normalize(vector);
    }

    /// <summary>Every learned term with its idf and its unit-length vector, for learning word classes.</summary>
    internal (string[] Terms, float[] Idf, float[] Vectors) TermVectors()
    {
        var terms = new string[_terms.Count];
        foreach (var (term, id) in _terms) terms[id] = term;
        var vectors = (float[])_termVectors.Clone();
        for (int t = 0; t < terms.Length; t++) EmbeddingVectors.Normalize(vectors.AsSpan(t * Dimension, Dimension));
        return (terms, (float[])_idf.Clone(), vectors);
    }

    /// <summary>The vector of one text.</summary>
    public float[] Embed(string text)
    {
        var v = new float[Dimension];
        Embed(text, v);
        return v;
    }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new Embedding<float>(Embed(text)) { ModelId = Metadata.DefaultModelId });
        }
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata : null;

    /// <inheritdoc />
    public void Dispose() { }

    /// <summary>Writes the model: terms, idf and term vectors, as a checksummed record.</summary>
    public void Save(Stream stream) => ChecksummedFile.WriteTo(stream, body =>
    {
        using var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FileVersion);
        w.Write(Dimension);
        w.Write(_terms.Count);
        w.Write(Metadata.DefaultModelId ?? "");
        var ordered = new string[_terms.Count];
        foreach (var (term, id) in _terms) ordered[id] = term;
        foreach (var term in ordered) w.Write(term);
        foreach (float f in _idf) w.Write(f);
        foreach (float f in _termVectors) w.Write(f);
    });

    /// <summary>Reads a model written by <see cref="Save"/>; a damaged file is refused.</summary>
    public static CorpusEmbedder Load(Stream stream, Analyzer analyzer)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var all = copy.GetBuffer().AsSpan(0, (int)copy.Length);
        if (all.Length < Magic.Length + ChecksummedFile.TrailerBytes || !all.StartsWith(Magic)) throw new InvalidDataException("not an embedding model file");
        var body = ChecksummedFile.Verify(all, "embedding model file");
        using var r = new BinaryReader(new MemoryStream(body.ToArray()), System.Text.Encoding.UTF8);
        r.ReadBytes(Magic.Length);
        if (r.ReadInt32() != FileVersion) throw new InvalidDataException("unsupported embedding model version");
        int dimension = r.ReadInt32(), count = r.ReadInt32();
        string name = r.ReadString();
        var terms = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++) terms[r.ReadString()] = i;
        var idf = new float[count];
        for (int i = 0; i < count; i++) idf[i] = r.ReadSingle();
        var vectors = new float[count * dimension];
        for (int i = 0; i < vectors.Length; i++) vectors[i] = r.ReadSingle();
        return new CorpusEmbedder(terms, idf, vectors, dimension, name, analyzer);
    }
}
