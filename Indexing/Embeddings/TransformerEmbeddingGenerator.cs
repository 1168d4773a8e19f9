using Microsoft.Extensions.AI;
using Search.Models;

namespace Search.Indexing.Embeddings;

/// <summary>
/// An embedder over a transformer sentence encoder — a packaged encoder, a BERT-family model directory
/// (config.json, model.safetensors, tokenizer.json, optionally sentence-transformers' pooling and prompts), or an
/// ONNX file with its vocab.txt — on whichever runtime runs it. Every vector is L2-normalised. Texts are batched by
/// length, so a batch pads little, and each batch holds about the same number of tokens.
/// </summary>
public sealed class TransformerEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly TextEncoder _encoder;
    private readonly int _batchTokens;
    private readonly EmbeddingGeneratorMetadata _metadata;
    // The encoder's kernels already spread one batch over every core; concurrent batches would only compete for them
    // and multiply the work buffers.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>An embedder over a loaded encoder; <paramref name="batchTokens"/> bounds a batch's padded tokens.</summary>
    public TransformerEmbeddingGenerator(TextEncoder encoder, EncoderDescription description, int batchTokens = 8192)
    {
        ArgumentException.ThrowIfNullOrEmpty(description.Name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchTokens);
        _encoder = encoder;
        _batchTokens = batchTokens;
        Description = description;
        MaxTokens = Math.Min(Math.Min(encoder.Encoder.MaxPositions, encoder.Tokenizer.MaxLength ?? int.MaxValue), description.MaxTokens);
        _metadata = new EmbeddingGeneratorMetadata("search-transformer", null, description.Name, Dimensions);
    }

    /// <summary>Loads the model in <paramref name="directory"/> (on the project's kernels), named after the directory.</summary>
    public static TransformerEmbeddingGenerator Load(string directory, int batchTokens = 8192)
    {
        var encoder = ModelDirectory.LoadEncoder(directory);
        return new(encoder, new EncoderDescription(ModelName(directory), encoder.Pooling, true, ModelDirectory.QueryPrompt(directory), encoder.Encoder.MaxPositions), batchTokens);
    }

    /// <summary>Loads a packaged encoder on <paramref name="device"/> if given, else on <paramref name="runtime"/> (see <see cref="PackagedEncoders.Load"/>).</summary>
    public static TransformerEmbeddingGenerator Load(PackagedEncoders.Package package, EncoderRuntime runtime = EncoderRuntime.OnnxInt8,
        ILGPU.Runtime.Accelerator? device = null) =>
        new(PackagedEncoders.Load(package, runtime, device), package.Description);

    /// <summary>The name a model directory (or file) is known by: its last path component, without an extension for a file.</summary>
    public static string ModelName(string directory) => File.Exists(directory)
        ? Path.GetFileNameWithoutExtension(directory)
        : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));

    /// <summary>How the model is used: its name, pooling, query prefix and length.</summary>
    public EncoderDescription Description { get; }

    /// <summary>The model's name.</summary>
    public string ModelId => Description.Name;

    /// <summary>What runs it, e.g. "onnxruntime-int8-cpu".</summary>
    public string Runtime => _encoder.Encoder.Runtime;

    /// <summary>The length of the vectors (the encoder's hidden size).</summary>
    public int Dimensions => _encoder.Encoder.HiddenSize;

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
        var ids = new int[texts.Count][];
        long tokens = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            ids[i] = _encoder.Tokenizer.Encode(texts[i], maxLength: MaxTokens);
            tokens += ids[i].Length;
        }
        // Longest first, so each batch pads to a length close to its members'; results go back to input order.
        var order = new int[texts.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => ids[b].Length != ids[a].Length ? ids[b].Length.CompareTo(ids[a].Length) : a.CompareTo(b));
        var vectors = new float[texts.Count][];
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var batch = new List<int[]>();
            for (int start = 0; start < order.Length;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Clear();
                int width = ids[order[start]].Length, end = start;
                while (end < order.Length && (batch.Count == 0 || (batch.Count + 1) * width <= _batchTokens))
                    batch.Add(ids[order[end++]]);
                float[][] pooled = _encoder.Encoder.Encode(batch).Pool(_encoder.Pooling, normalize: true);
                for (int i = 0; i < pooled.Length; i++) vectors[order[start + i]] = pooled[i];
                start = end;
            }
        }
        finally
        {
            _gate.Release();
        }
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (float[] vector in vectors)
        {
            float[] output = dimensions == Dimensions ? vector : EmbeddingVectors.Truncate(vector, dimensions);
            result.Add(new Embedding<float>(output) { ModelId = ModelId, CreatedAt = now });
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
        if (serviceType == typeof(EncoderDescription)) return Description;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _gate.Dispose();
        _encoder.Dispose();
    }
}
