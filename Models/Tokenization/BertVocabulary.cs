namespace Search.Models.Tokenization;

/// <summary>
/// A BERT tokenizer from a bare vocab.txt (one token a line, the line number its id), set up as Hugging Face's
/// BertTokenizer does by default: the BERT normalizer (lowercasing and stripping accents for uncased models), the
/// BERT pre-tokenizer, WordPiece with "##", the special tokens matched verbatim, and [CLS] … [SEP] around a text.
/// </summary>
public static class BertVocabulary
{
    private static readonly string[] Specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>The tokenizer of <paramref name="vocabText"/>; <paramref name="maxLength"/> is the model's sequence limit.</summary>
    public static WordPieceTokenizer Tokenizer(string vocabText, bool lowercase, int maxLength)
    {
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        int id = 0;
        foreach (var line in vocabText.Split('\n'))
        {
            string token = line.TrimEnd('\r');
            if (token.Length == 0 && id > 0 && vocabulary.Count == id) break; // the trailing newline
            vocabulary.TryAdd(token, id);
            id++;
        }
        var added = new List<AddedToken>();
        foreach (string special in Specials)
            if (vocabulary.TryGetValue(special, out int specialId)) added.Add(new AddedToken(specialId, special, Special: true));
        int cls = vocabulary.TryGetValue("[CLS]", out int c) ? c : throw new InvalidDataException("the vocabulary has no [CLS]");
        int sep = vocabulary.TryGetValue("[SEP]", out int s) ? s : throw new InvalidDataException("the vocabulary has no [SEP]");
        return new WordPieceTokenizer(vocabulary, "[UNK]", "##", 100, added, new SpecialTokenTemplate([cls], [sep]),
            new BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: lowercase, lowercase: lowercase), maxLength)
        {
            PadId = vocabulary.GetValueOrDefault("[PAD]"),
        };
    }
}
