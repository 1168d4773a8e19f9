namespace Search.Models.Bert;

/// <summary>How a sequence's hidden states become one embedding.</summary>
public enum Pooling
{
    /// <summary>Average over the real (unpadded) tokens, as sentence-transformers MiniLM models do.</summary>
    Mean,

    /// <summary>The first ([CLS]) token's state, as BGE models do.</summary>
    Cls,
}
