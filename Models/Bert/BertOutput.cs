namespace Search.Models.Bert;

/// <summary>An encoded batch: last hidden states [batch][maxTokens][hidden] (zero on padding) and each sequence's length.</summary>
public sealed record BertOutput(float[] Hidden, int Batch, int MaxTokens, int HiddenSize, IReadOnlyList<int> Lengths)
{
    /// <summary>One sequence's hidden state at one token.</summary>
    public ReadOnlySpan<float> State(int sequence, int token) => Hidden.AsSpan((sequence * MaxTokens + token) * HiddenSize, HiddenSize);

    /// <summary>One embedding per sequence, pooled as asked and optionally L2-normalized.</summary>
    public float[][] Pool(Pooling pooling, bool normalize = false)
    {
        var result = new float[Batch][];
        for (int b = 0; b < Batch; b++)
        {
            var e = new float[HiddenSize];
            if (pooling == Pooling.Cls) State(b, 0).CopyTo(e);
            else
            {
                for (int t = 0; t < Lengths[b]; t++)
                {
                    ReadOnlySpan<float> s = State(b, t);
                    for (int i = 0; i < HiddenSize; i++) e[i] += s[i];
                }
                for (int i = 0; i < HiddenSize; i++) e[i] /= Math.Max(1, Lengths[b]);
            }
            if (normalize)
            {
                double norm = Math.Sqrt(e.Sum(v => (double)v * v));
                if (norm > 0) for (int i = 0; i < HiddenSize; i++) e[i] = (float)(e[i] / norm);
            }
            result[b] = e;
        }
        return result;
    }
}
