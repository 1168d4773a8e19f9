using Search.GpuAttention;

namespace Search.Ranking.Reranking.InContext;

/// <summary>How an <see cref="InContextRanker"/> builds its context and where it reads attention.</summary>
public sealed record InContextRankerOptions
{
    /// <summary>The instruction block, encoded once; every passage is encoded right after it.</summary>
    public string Instruction { get; init; } = "Rank the passages below by how well each answers the query that follows them.\nPassages:";

    /// <summary>The query block around the query text ({0}); its rows' attention to each passage is the passage's score.</summary>
    public string QueryTemplate { get; init; } = "\nQuery: {0}\nThe passage that best answers the query is";

    /// <summary>The layer whose attention is read; null: two thirds of the way up the model.</summary>
    public int? Layer { get; init; }

    /// <summary>Hybrid candidates re-scored per query.</summary>
    public int Depth { get; init; } = 30;

    /// <summary>Tokens of a passage block at most (its title line first, then its text).</summary>
    public int MaxPassageTokens { get; init; } = 256;

    /// <summary>How passage keys and values are stored (fp16 halves the bytes; see the README for its effect on masses).</summary>
    public KvPrecision Precision { get; init; } = KvPrecision.Float16;
}
