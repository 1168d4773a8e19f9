namespace Search.Models.Llama;

/// <summary>Final-normed hidden states [tokens][hidden] of some tokens of a decoder pass.</summary>
public sealed record DecoderOutput(float[] Hidden, int Tokens, int HiddenSize)
{
    /// <summary>One token's state.</summary>
    public ReadOnlySpan<float> State(int token) => Hidden.AsSpan(token * HiddenSize, HiddenSize);
}
