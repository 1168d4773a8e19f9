using Search.Models.Bert;
using Search.Models.Tokenization;

namespace Search.Models;

/// <summary>A sentence-embedding model ready for text: tokenizer, BERT encoder and the pooling its directory asks for.</summary>
public sealed class TextEncoder(Tokenizer tokenizer, BertEncoder encoder, Pooling pooling, bool normalize)
{
    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; } = tokenizer;

    /// <summary>The encoder.</summary>
    public BertEncoder Encoder { get; } = encoder;

    /// <summary>Mean or CLS pooling.</summary>
    public Pooling Pooling { get; } = pooling;

    /// <summary>Whether embeddings are L2-normalized.</summary>
    public bool Normalize { get; } = normalize;

    /// <summary>Embeds texts as one batch; each is truncated to the model's maximum positions.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, int? maxTokens = null)
    {
        int limit = Math.Min(maxTokens ?? int.MaxValue, Encoder.Config.MaxPositionEmbeddings);
        int[][] ids = [.. texts.Select(t => Tokenizer.Encode(t, maxLength: Math.Min(limit, Tokenizer.MaxLength ?? int.MaxValue)))];
        return Encoder.Encode(ids).Pool(Pooling, Normalize);
    }
}
