namespace Search.Models.Tokenization;

/// <summary>GPT-2/Llama-3/Qwen-style tokenizer: byte-level pre-tokenization, then BPE that repeatedly merges the
/// lowest-ranked adjacent pair (every occurrence, left to right) until no listed merge applies.</summary>
public sealed class ByteLevelBpeTokenizer : Tokenizer
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> _merges = [];
    private readonly IReadOnlyList<PreTokenizerStep> _preTokenizer;
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;

    /// <summary>Builds the tokenizer from a vocabulary, merges in rank order and the pipeline parts of tokenizer.json.</summary>
    public ByteLevelBpeTokenizer(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<(string Left, string Right)> merges,
        IReadOnlyList<PreTokenizerStep> preTokenizer, IReadOnlyList<AddedToken> addedTokens, SpecialTokenTemplate template,
        TextNormalizer? normalizer, bool ignoreMerges = false, string? unkToken = null, int? maxLength = null)
        : base(vocabulary, addedTokens, template, normalizer, maxLength)
    {
        _vocab = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
        _lookup = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!_vocab.TryGetValue(left, out int l) || !_vocab.TryGetValue(right, out int r) || !_vocab.TryGetValue(left + right, out int m))
                throw new InvalidDataException($"BPE merge #{rank} '{left} {right}' names a token missing from the vocabulary");
            _merges.TryAdd((l, r), (rank, m));
        }
        _preTokenizer = preTokenizer;
        _ignoreMerges = ignoreMerges;
        _unkId = unkToken is not null && _vocab.TryGetValue(unkToken, out int unk) ? unk : null;
    }

    /// <inheritdoc/>
    protected override void EncodeText(string normalized, List<int> ids)
    {
        if (normalized.Length == 0) return;
        List<string> pieces = [normalized];
        foreach (PreTokenizerStep step in _preTokenizer) pieces = step.Apply(pieces);
        var symbols = new List<int>();
        foreach (string piece in pieces) EncodePiece(piece, symbols, ids);
    }

    private void EncodePiece(string piece, List<int> symbols, List<int> ids)
    {
        if (_ignoreMerges && _vocab.TryGetValue(piece, out int whole))
        {
            ids.Add(whole);
            return;
        }
        symbols.Clear();
        // byte-level pieces are single UTF-16 units from the byte alphabet, looked up without allocating strings
        for (int i = 0; i < piece.Length; i++)
        {
            if (_lookup.TryGetValue(piece.AsSpan(i, 1), out int id)) symbols.Add(id);
            else if (_unkId is int unk) symbols.Add(unk);
        }
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue, bestLeft = 0, bestRight = 0, merged = 0;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_merges.TryGetValue((symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                    (bestRank, bestLeft, bestRight, merged) = (m.Rank, symbols[i], symbols[i + 1], m.Merged);
            if (bestRank == int.MaxValue) break;
            int write = 0;
            for (int read = 0; read < symbols.Count; read++)
            {
                if (read + 1 < symbols.Count && symbols[read] == bestLeft && symbols[read + 1] == bestRight)
                {
                    symbols[write++] = merged;
                    read++;
                }
                else symbols[write++] = symbols[read];
            }
            symbols.RemoveRange(write, symbols.Count - write);
        }
        ids.AddRange(symbols);
    }
}
