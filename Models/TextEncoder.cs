using Search.Models.Bert;
using Search.Models.Tokenization;

namespace Search.Models;

/// <summary>A sentence-embedding model ready for text: tokenizer, encoder (on whichever runtime) and the pooling it asks for.</summary>
public sealed class TextEncoder(Tokenizer tokenizer, ISequenceEncoder encoder, Pooling pooling, bool normalize) : IDisposable
{
    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; } = tokenizer;

    /// <summary>The encoder.</summary>
    public ISequenceEncoder Encoder { get; } = encoder;

    /// <summary>Mean or CLS pooling.</summary>
    public Pooling Pooling { get; } = pooling;

    /// <summary>Whether embeddings are L2-normalized.</summary>
    public bool Normalize { get; } = normalize;

    /// <summary>Embeds texts in batches of <paramref name="batchSize"/> (the work buffers grow with a batch's tokens);
    /// each text is truncated to the model's maximum positions or <paramref name="maxTokens"/>.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, int? maxTokens = null, int batchSize = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int limit = Math.Min(Math.Min(maxTokens ?? int.MaxValue, Encoder.MaxPositions), Tokenizer.MaxLength ?? int.MaxValue);
        var result = new List<float[]>(texts.Count);
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            int[][] ids = [.. texts.Skip(start).Take(batchSize).Select(t => Tokenizer.Encode(t, maxLength: limit))];
            result.AddRange(Encoder.Encode(ids).Pool(Pooling, Normalize));
        }
        return [.. result];
    }

    /// <inheritdoc />
    public void Dispose() => Encoder.Dispose();
}
