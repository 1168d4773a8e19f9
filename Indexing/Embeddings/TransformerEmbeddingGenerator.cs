using Microsoft.Extensions.AI;
using Search.Models;

namespace Search.Indexing.Embeddings;

/// <summary>An embedder over a local BERT-family model directory (config.json, model.safetensors, tokenizer.json and
/// optionally sentence-transformers' pooling config) run by the Models runtime; every vector is L2-normalised.</summary>
public sealed class TransformerEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly TextEncoder _encoder;
    private readonly int _batchSize;
    private readonly EmbeddingGeneratorMetadata _metadata;
    // The encoder's kernels already spread one batch over every core; concurrent batches would only compete for them
    // and multiply the work buffers.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>An embedder over a loaded encoder, reported as <paramref name="modelId"/>.</summary>
    public TransformerEmbeddingGenerator(TextEncoder encoder, string modelId, int batchSize = 32)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _encoder = encoder;
        _batchSize = batchSize;
        ModelId = modelId;
        MaxTokens = Math.Min(encoder.Encoder.Config.MaxPositionEmbeddings, encoder.Tokenizer.MaxLength ?? int.MaxValue);
        _metadata = new EmbeddingGeneratorMetadata("search-transformer", null, modelId, Dimensions);
    }

    /// <summary>Loads the model in <paramref name="directory"/>, named after the directory.</summary>
    public static TransformerEmbeddingGenerator Load(string directory, int batchSize = 32) =>
        new(ModelDirectory.LoadEncoder(directory), ModelName(directory), batchSize);

    /// <summary>The name a model directory is known by: its last path component.</summary>
    public static string ModelName(string directory) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));

    /// <summary>The model's name.</summary>
    public string ModelId { get; }

    /// <summary>The length of the vectors (the encoder's hidden size).</summary>
    public int Dimensions => _encoder.Encoder.Config.HiddenSize;

    /// <summary>The most tokens (special tokens included) the model reads; longer inputs are cut on the right.</summary>
    public int MaxTokens { get; }

    /// <summary>How many tokens, special tokens included, <paramref name="text"/> has before any truncation.</summary>
    public int CountTokens(string text) => _encoder.Tokenizer.Encode(text, maxLength: int.MaxValue).Length;

    /// <inheritdoc />
    /// <remarks><see cref="EmbeddingGenerationOptions.Dimensions"/> below the model's truncates and re-normalises each vector.</remarks>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        int dimensions = options?.Dimensions ?? Dimensions;
        if (dimensions <= 0 || dimensions > Dimensions)
            throw new ArgumentException($"dimensions must be between 1 and the model's {Dimensions}");
        List<string> texts = [.. values];
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        long tokens = 0;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var batch = new List<int[]>(_batchSize);
            for (int start = 0; start < texts.Count; start += _batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Clear();
                int end = Math.Min(texts.Count, start + _batchSize);
                for (int i = start; i < end; i++)
                {
                    int[] ids = _encoder.Tokenizer.Encode(texts[i], maxLength: MaxTokens);
                    tokens += ids.Length;
                    batch.Add(ids);
                }
                float[][] pooled = _encoder.Encoder.Encode(batch).Pool(_encoder.Pooling, normalize: true);
                DateTimeOffset now = DateTimeOffset.UtcNow;
                foreach (float[] vector in pooled)
                {
                    float[] output = dimensions == Dimensions ? vector : EmbeddingVectors.Truncate(vector, dimensions);
                    result.Add(new Embedding<float>(output) { ModelId = ModelId, CreatedAt = now });
                }
            }
        }
        finally
        {
            _gate.Release();
        }
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return result;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(TextEncoder)) return _encoder;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
