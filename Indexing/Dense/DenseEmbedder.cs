using Microsoft.Extensions.AI;
using Search.Models;
using Search.Indexing.Embeddings;

namespace Search.Indexing.Dense;

/// <summary>
/// What a dense index embeds text with: the embedder learned from the collection (the zero-download default,
/// relearned as the collection changes) or a model the deployment configured — any
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, such as a BERT-family encoder read from safetensors —
/// which is used as it is.
/// </summary>
public sealed class DenseEmbedder
{
    /// <summary>The name a dense index records for the collection-learned embedder.</summary>
    public const string CorpusName = "corpus";

    // Texts sent to a model at a time: bounded, so a million segments are not one request.
    private const int ModelBatch = 256;

    private readonly IEmbeddingGenerator<string, Embedding<float>>? _model;
    private readonly string _queryPrefix;

    private DenseEmbedder(CorpusEmbedder? corpus, IEmbeddingGenerator<string, Embedding<float>>? model, string name, int dimension, string queryPrefix, string runtime)
    {
        Runtime = runtime;
        Corpus = corpus;
        _model = model;
        _queryPrefix = queryPrefix;
        Name = name;
        Dimension = dimension;
    }

    /// <summary>The collection-learned embedder.</summary>
    public static DenseEmbedder Learned(CorpusEmbedder corpus) => new(corpus, null, CorpusName, corpus.Dimension, "", "lsa-cpu");

    /// <summary>
    /// A model; its dimension comes from its metadata or, failing that, from embedding one text, and the prefix its
    /// queries carry from its <see cref="EncoderDescription"/> when it has one.
    /// </summary>
    public static DenseEmbedder FromModel(IEmbeddingGenerator<string, Embedding<float>> model)
    {
        var metadata = model.GetService<EmbeddingGeneratorMetadata>();
        string name = "model:" + (metadata?.DefaultModelId ?? metadata?.ProviderName ?? "unnamed");
        int dimension = metadata?.DefaultModelDimensions
            ?? model.GenerateAsync(["dimension"]).GetAwaiter().GetResult()[0].Vector.Length;
        if (dimension < 1) throw new InvalidOperationException($"{name} gives vectors without dimensions");
        string runtime = model.GetService<TransformerEmbeddingGenerator>()?.Runtime ?? metadata?.ProviderName ?? "unknown";
        return new DenseEmbedder(null, model, name, dimension, model.GetService<EncoderDescription>()?.QueryPrefix ?? "", runtime);
    }

    /// <summary>What runs the embedder, e.g. "onnxruntime-int8-cpu", "models-fp32", "lsa-cpu", or a remote provider's name.</summary>
    public string Runtime { get; }

    /// <summary>"corpus", or "model:" and the model's id: a saved index is reused only by the embedder that made it.</summary>
    public string Name { get; }

    /// <summary>Length of every vector.</summary>
    public int Dimension { get; }

    /// <summary>The learned embedder, or null for a configured model.</summary>
    public CorpusEmbedder? Corpus { get; }

    /// <summary>Whether the embedder is learned from the collection (and so relearned as it changes).</summary>
    public bool IsLearned => Corpus is not null;

    /// <summary>The unit-length vector of a query: with the model's query prefix (retrieval models embed the two sides differently).</summary>
    public float[] EmbedQuery(string query) => Embed(_queryPrefix + query);

    /// <summary>The unit-length vector of one text.</summary>
    public float[] Embed(string text)
    {
        var vector = new float[Dimension];
        Embed([text], vector);
        return vector;
    }

    /// <summary>
    /// Unit-length vectors of <paramref name="texts"/>, row after row, into <paramref name="vectors"/>. A model's vectors
    /// already in <paramref name="journal"/> are read from it; the others are embedded in batches, each logged there
    /// before the next starts. <paramref name="embedded"/> hears how many more rows are done as they are (for progress).
    /// </summary>
    public void Embed(IReadOnlyList<string> texts, float[] vectors, EmbeddingJournal? journal = null, Action<int>? embedded = null)
    {
        int d = Dimension;
        if (vectors.Length < texts.Count * d) throw new ArgumentException("one row per text is required", nameof(vectors));
        if (Corpus is { } corpus)
        {
            if (texts.Count == 1) corpus.Embed(texts[0], vectors.AsSpan(0, d));
            else Parallel.For(0, texts.Count, i => corpus.Embed(texts[i], vectors.AsSpan(i * d, d)));
            embedded?.Invoke(texts.Count);
            return;
        }
        var missing = new List<int>(texts.Count);
        var keys = journal is null ? null : new UInt128[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            if (keys is not null)
            {
                keys[i] = EmbeddingJournal.Key(texts[i]);
                if (journal!.TryGet(keys[i], vectors.AsSpan(i * d, d))) continue;
            }
            missing.Add(i);
        }
        if (missing.Count < texts.Count) embedded?.Invoke(texts.Count - missing.Count);
        var batch = new List<string>(Math.Min(ModelBatch, missing.Count));
        var batchKeys = new List<UInt128>(batch.Capacity);
        var batchVectors = new float[Math.Min(ModelBatch, missing.Count) * d];
        for (int start = 0; start < missing.Count; start += ModelBatch)
        {
            batch.Clear();
            batchKeys.Clear();
            for (int j = start; j < Math.Min(missing.Count, start + ModelBatch); j++)
            {
                batch.Add(texts[missing[j]]);
                if (keys is not null) batchKeys.Add(keys[missing[j]]);
            }
            // Waiting is safe: ASP.NET Core has no synchronisation context to deadlock on, and index writes run on background threads.
            var embeddings = _model!.GenerateAsync(batch).GetAwaiter().GetResult();
            if (embeddings.Count != batch.Count) throw new InvalidOperationException($"{Name} returned {embeddings.Count} vectors for {batch.Count} texts");
            for (int i = 0; i < batch.Count; i++)
            {
                var v = embeddings[i].Vector.Span;
                if (v.Length != d) throw new InvalidOperationException($"{Name} returned a vector of {v.Length} dimensions, not {d}");
                var row = batchVectors.AsSpan(i * d, d);
                v.CopyTo(row);
                EmbeddingVectors.Normalize(row);
                row.CopyTo(vectors.AsSpan(missing[start + i] * d, d));
            }
            journal?.Append(batchKeys, batchVectors.AsSpan(0, batch.Count * d));
            embedded?.Invoke(batch.Count);
        }
    }
}
