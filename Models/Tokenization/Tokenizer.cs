namespace Search.Models.Tokenization;

/// <summary>A Hugging Face tokenizer: added tokens are cut out of the raw text, the rest is normalized,
/// pre-tokenized and split by the subword model, and the post-processor's special tokens go around it.</summary>
public abstract class Tokenizer
{
    private readonly AddedTokenSplitter _splitter;
    private readonly Dictionary<int, string> _idToToken;

    /// <summary>Sets up the shared pipeline parts.</summary>
    protected Tokenizer(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<AddedToken> addedTokens,
        SpecialTokenTemplate template, TextNormalizer? normalizer, int? maxLength)
    {
        Vocabulary = vocabulary;
        AddedTokens = addedTokens;
        Template = template;
        Normalizer = normalizer;
        MaxLength = maxLength;
        _splitter = new AddedTokenSplitter(addedTokens);
        _idToToken = new Dictionary<int, string>(vocabulary.Count + addedTokens.Count);
        foreach (var (token, id) in vocabulary) _idToToken[id] = token;
        foreach (AddedToken t in addedTokens) _idToToken[t.Id] = t.Content;
    }

    /// <summary>The subword model's vocabulary.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary { get; }

    /// <summary>Tokens matched verbatim before normalization (special tokens and the like).</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Special ids put around every encoded text.</summary>
    public SpecialTokenTemplate Template { get; }

    /// <summary>The normalizer, if any.</summary>
    public TextNormalizer? Normalizer { get; }

    /// <summary>Default truncation length (tokenizer.json's truncation.max_length), special tokens included.</summary>
    public int? MaxLength { get; }

    /// <summary>The id of the padding token, if the tokenizer defines one.</summary>
    public int? PadId { get; init; }

    /// <summary>The largest id plus one.</summary>
    public int IdCount => _idToToken.Count == 0 ? 0 : _idToToken.Keys.Max() + 1;

    /// <summary>The id of a vocabulary or added token, or null.</summary>
    public int? TokenToId(string token)
    {
        foreach (AddedToken t in AddedTokens)
            if (t.Content == token) return t.Id;
        return Vocabulary.TryGetValue(token, out int id) ? id : null;
    }

    /// <summary>The token string of an id, or null.</summary>
    public string? IdToToken(int id) => _idToToken.GetValueOrDefault(id);

    /// <summary>Encodes text to ids. With <paramref name="maxLength"/> (or the tokenizer's default) the content is cut on
    /// the right so that it fits together with the special tokens.</summary>
    public int[] Encode(string text, bool addSpecialTokens = true, int? maxLength = null)
    {
        var content = new List<int>();
        _splitter.Split(text, (part, offset) => EncodeText(Normalizer is null ? part : Normalizer.Normalize(part), offset == 0, content),
            token => content.Add(token.Id));
        int? limit = maxLength ?? MaxLength;
        int specials = addSpecialTokens ? Template.Count : 0;
        if (limit is int max && content.Count + specials > max)
            content.RemoveRange(Math.Max(0, max - specials), content.Count - Math.Max(0, max - specials));
        if (!addSpecialTokens) return [.. content];
        return [.. Template.Prefix, .. content, .. Template.Suffix];
    }

    /// <summary>Pre-tokenizes normalized text and appends the subword ids; <paramref name="atStart"/>: the text begins the input (no added token before it).</summary>
    protected abstract void EncodeText(string normalized, bool atStart, List<int> ids);
}
