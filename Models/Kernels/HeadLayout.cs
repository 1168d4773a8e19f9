namespace Search.Models.Kernels;

/// <summary>Converts projections between the runtime's token-major [tokens][heads·headDim] and the attention
/// kernels' head-major [heads][tokens][headDim] layouts.</summary>
public static class HeadLayout
{
    /// <summary>Token-major rows (of which <paramref name="tokens"/> starting at <paramref name="firstToken"/>) to head-major.</summary>
    public static void ToHeadMajor(ReadOnlySpan<float> tokenMajor, int firstToken, int tokens, int heads, int headDim, Span<float> headMajor)
    {
        int width = heads * headDim;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
                tokenMajor.Slice((firstToken + t) * width + h * headDim, headDim).CopyTo(headMajor.Slice((h * tokens + t) * headDim, headDim));
    }

    /// <summary>Head-major back to token-major rows starting at <paramref name="firstToken"/>.</summary>
    public static void ToTokenMajor(ReadOnlySpan<float> headMajor, int tokens, int heads, int headDim, Span<float> tokenMajor, int firstToken)
    {
        int width = heads * headDim;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
                headMajor.Slice((h * tokens + t) * headDim, headDim).CopyTo(tokenMajor.Slice((firstToken + t) * width + h * headDim, headDim));
    }
}
