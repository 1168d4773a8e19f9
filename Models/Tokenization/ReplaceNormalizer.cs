using System.Text.RegularExpressions;

namespace Search.Models.Tokenization;

/// <summary>HF's Replace normalizer: every match of a string or a regex is replaced (Llama-2 turns spaces into "▁").</summary>
public sealed class ReplaceNormalizer : TextNormalizer
{
    private readonly string? _literal;
    private readonly Regex? _regex;
    private readonly string _content;

    /// <summary>Replaces the literal <paramref name="literal"/>, or matches of <paramref name="regex"/>, by <paramref name="content"/>.</summary>
    public ReplaceNormalizer(string? literal, Regex? regex, string content)
    {
        if ((literal is null) == (regex is null)) throw new ArgumentException("a Replace normalizer has either a string or a regex pattern");
        if (literal is { Length: 0 }) throw new ArgumentException("a Replace normalizer's string pattern is empty");
        _literal = literal;
        _regex = regex;
        _content = content;
    }

    /// <inheritdoc/>
    public override string Normalize(string text) =>
        _literal is not null ? text.Replace(_literal, _content, StringComparison.Ordinal) : _regex!.Replace(text, _content.Replace("$", "$$", StringComparison.Ordinal));
}
