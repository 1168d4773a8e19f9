namespace Search.Models.Tokenization;

/// <summary>A token from tokenizer.json's added_tokens, matched in the raw text before normalization.</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LeftStrip = false, bool RightStrip = false);
