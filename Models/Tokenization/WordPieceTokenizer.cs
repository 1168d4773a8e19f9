using System.Text;

namespace Search.Models.Tokenization;

/// <summary>BERT's tokenizer: BertPreTokenizer (whitespace and punctuation) then greedy longest-match WordPiece with a
/// continuing-subword prefix; a word with any unmatched piece becomes the unknown token.</summary>
public sealed class WordPieceTokenizer : Tokenizer
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string _prefix;
    private readonly int _unkId;
    private readonly int _maxInputCharsPerWord;

    /// <summary>Builds the tokenizer from a WordPiece vocabulary and the pipeline parts of tokenizer.json.</summary>
    public WordPieceTokenizer(IReadOnlyDictionary<string, int> vocabulary, string unkToken, string continuingSubwordPrefix,
        int maxInputCharsPerWord, IReadOnlyList<AddedToken> addedTokens, SpecialTokenTemplate template,
        TextNormalizer? normalizer, int? maxLength = null)
        : base(vocabulary, addedTokens, template, normalizer, maxLength)
    {
        var vocab = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _prefix = continuingSubwordPrefix;
        _unkId = vocab.TryGetValue(unkToken, out int unk) ? unk
            : throw new InvalidDataException($"the WordPiece unk_token '{unkToken}' is not in the vocabulary");
        _maxInputCharsPerWord = maxInputCharsPerWord;
    }

    /// <inheritdoc/>
    protected override void EncodeText(string normalized, bool atStart, List<int> ids)
    {
        int wordStart = -1;
        int i = 0;
        while (i < normalized.Length)
        {
            Rune.DecodeFromUtf16(normalized.AsSpan(i), out Rune r, out int width);
            bool space = UnicodeClasses.IsRustWhitespace(r.Value);
            bool punct = !space && UnicodeClasses.IsPunctuation(r);
            if (space || punct)
            {
                if (wordStart >= 0) EncodeWord(normalized.AsSpan(wordStart, i - wordStart), ids);
                wordStart = -1;
                if (punct) EncodeWord(normalized.AsSpan(i, width), ids);
            }
            else if (wordStart < 0) wordStart = i;
            i += width;
        }
        if (wordStart >= 0) EncodeWord(normalized.AsSpan(wordStart), ids);
    }

    private void EncodeWord(ReadOnlySpan<char> word, List<int> ids)
    {
        if (CountRunes(word) > _maxInputCharsPerWord)
        {
            ids.Add(_unkId);
            return;
        }
        int mark = ids.Count;
        Span<char> candidate = word.Length + _prefix.Length <= 256 ? stackalloc char[word.Length + _prefix.Length] : new char[word.Length + _prefix.Length];
        _prefix.CopyTo(candidate);
        int start = 0;
        while (start < word.Length)
        {
            int end = word.Length;
            int found = -1;
            while (start < end)
            {
                ReadOnlySpan<char> piece = word[start..end];
                scoped ReadOnlySpan<char> key = piece;
                if (start > 0)
                {
                    piece.CopyTo(candidate[_prefix.Length..]);
                    key = candidate[..(_prefix.Length + piece.Length)];
                }
                if (_lookup.TryGetValue(key, out int id))
                {
                    found = id;
                    break;
                }
                end--;
                // never cut a surrogate pair: pieces end on code point boundaries
                if (end > start && char.IsLowSurrogate(word[end]) && char.IsHighSurrogate(word[end - 1])) end--;
            }
            if (found < 0)
            {
                ids.RemoveRange(mark, ids.Count - mark);
                ids.Add(_unkId);
                return;
            }
            ids.Add(found);
            start = end;
        }
    }

    private static int CountRunes(ReadOnlySpan<char> s)
    {
        int n = 0;
        foreach (char c in s)
            if (!char.IsLowSurrogate(c)) n++;
        return n;
    }
}
