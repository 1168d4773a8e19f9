using Search.Models.Llama;
using Search.Models.Tokenization;

namespace Search.Models;

/// <summary>A decoder-only model ready for text: tokenizer and Llama-family decoder.</summary>
public sealed class TextDecoder(Tokenizer tokenizer, LlamaDecoder decoder)
{
    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; } = tokenizer;

    /// <summary>The decoder.</summary>
    public LlamaDecoder Decoder { get; } = decoder;

    /// <summary>Tokenizes a BlockRank prompt: the instruction gets the tokenizer's special prefix, the other blocks none.</summary>
    public BlockRankPrompt Prompt(string instruction, IReadOnlyList<string> documents, string query) =>
        new(Tokenizer.Encode(instruction), [.. documents.Select(d => Tokenizer.Encode(d, addSpecialTokens: false))],
            Tokenizer.Encode(query, addSpecialTokens: false));
}
