using Search.GpuAttention;

namespace Search.Ranking.Reranking.InContext;

/// <summary>How a passage's score is read from the query block's attention at the scoring layer.</summary>
public enum RankerReadout
{
    /// <summary>
    /// BlockRank's: the answer position (the query block's last token, "[") and the token before it; per head and row,
    /// the attention over passage tokens only (the softmax renormalised over them), summed per passage, averaged over
    /// heads and the two rows. Scores are a distribution over the passages.
    /// </summary>
    BlockRank,

    /// <summary>The attention mass every query row and head gives each passage, summed.</summary>
    Mass,
}

/// <summary>Where the passages of one query's context sit.</summary>
public enum PassagePositions
{
    /// <summary>
    /// BlockRank's: every passage where it was encoded, right after the instruction (so all at the same positions),
    /// and the query block at <see cref="InContextRankerOptions.QueryPosition"/>; the ranking does not depend on the
    /// candidates' order.
    /// </summary>
    Shared,

    /// <summary>Block-Attention's: passages laid end to end in candidate order, cached keys re-encoded by RoPE to there.</summary>
    Assembled,
}

/// <summary>How the ranker's context is worded.</summary>
public enum RankerPrompt
{
    /// <summary>
    /// An instruction without the query and unnumbered passages (<see cref="InContextRankerOptions.Instruction"/> and
    /// <see cref="InContextRankerOptions.QueryTemplate"/>): a passage's keys and values serve every later query.
    /// </summary>
    Reusable,

    /// <summary>
    /// BlockRank's published prompt, word for word, in the model's chat template: the query inside the instruction,
    /// passages as "ID: i | CONTENT: title text | END ID: i", the query block ending at the answer's "[" (tokenized on
    /// its own, as BlockRank's code does). What a BlockRank-trained model expects; since a passage's keys and values
    /// then depend on the query and its number, the store serves only a repeated query.
    /// </summary>
    BlockRank,
}

/// <summary>How an <see cref="InContextRanker"/> builds its context and where it reads attention.</summary>
public sealed record InContextRankerOptions
{
    /// <summary>How the context is worded; <see cref="RankerPrompt.BlockRank"/> needs <see cref="PassagePositions.Shared"/>.</summary>
    public RankerPrompt Prompt { get; init; } = RankerPrompt.Reusable;

    /// <summary>The instruction block of the reusable prompt, encoded once; every passage is encoded right after it.</summary>
    public string Instruction { get; init; } = "Rank the passages below by how well each answers the query that follows them.\nPassages:";

    /// <summary>The reusable prompt's query block around the query text ({0}); it ends at the answer position BlockRank reads ("[").</summary>
    public string QueryTemplate { get; init; } = "\nWhich passage is most relevant to answer the query? Print out its number.\nQuery: {0}\nThe following passage can help answer the query: [";

    /// <summary>Where passages sit in a query's context.</summary>
    public PassagePositions Positions { get; init; } = PassagePositions.Shared;

    /// <summary>With shared positions, where the query block starts (BlockRank's code puts it at 16,384).</summary>
    public int QueryPosition { get; init; } = 16_384;

    /// <summary>How scores are read from attention.</summary>
    public RankerReadout Readout { get; init; } = RankerReadout.BlockRank;

    /// <summary>
    /// In-context re-ranking's calibration (ICR, for instruct models never trained to rank): each passage's score has
    /// the mass a content-free query ("N/A") gives it subtracted, which removes the model's bias toward some passages
    /// whatever the query (by position or by form).
    /// </summary>
    public bool Calibrate { get; init; }

    /// <summary>The layer whose attention is read; null: two thirds of the way up the model.</summary>
    public int? Layer { get; init; }

    /// <summary>Hybrid candidates re-scored per query.</summary>
    public int Depth { get; init; } = 30;

    /// <summary>Tokens of a passage block at most (its title first, then its text; cut at the end, as BlockRank's code cuts blocks).</summary>
    public int MaxPassageTokens { get; init; } = 256;

    /// <summary>How passage keys and values are stored (fp16 and bf16 halve the bytes, int8 with a scale per row about quarters them; see the README for the effect on masses).</summary>
    public KvPrecision Precision { get; init; } = KvPrecision.Float16;
}
