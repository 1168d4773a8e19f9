using Search.Models.Bert;

namespace Search.Models;

/// <summary>
/// How a sentence encoder is used, so that no model is a special case: how its token states become a vector, whether
/// it is normalised, the prefix its queries (and only its queries) carry, and the most tokens it reads.
/// </summary>
/// <param name="Name">The name the model is known by (in the API, the dense status, a collection's settings).</param>
/// <param name="QueryPrefix">Put before a query's text (arctic-embed: "Represent this sentence for searching relevant passages: "); empty for symmetric models.</param>
/// <param name="MaxTokens">The most tokens read, special tokens included; longer texts are cut.</param>
public sealed record EncoderDescription(string Name, Pooling Pooling, bool Normalize, string QueryPrefix, int MaxTokens);
