using System.Buffers;
using System.Text;

namespace Search.Models.Tokenization;

/// <summary>
/// BPE as tokenizer.json describes it: GPT-2/Llama-3/Qwen-style over the byte alphabet of a ByteLevel pre-tokenizer, or
/// SentencePiece-style (Llama-2, Mistral) over characters, where a character missing from the vocabulary falls back to
/// its UTF-8 bytes as &lt;0xXX&gt; tokens. Merges repeatedly join the lowest-ranked adjacent pair (every occurrence,
/// left to right) until no listed merge applies.
/// </summary>
public sealed class BpeTokenizer : Tokenizer
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> _merges = [];
    private readonly IReadOnlyList<PreTokenizerStep> _preTokenizer;
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;
    private readonly int[]? _byteIds;
    private readonly bool _fuseUnknown;

    /// <summary>Builds the tokenizer from a vocabulary, merges in rank order and the pipeline parts of tokenizer.json.</summary>
    public BpeTokenizer(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<(string Left, string Right)> merges,
        IReadOnlyList<PreTokenizerStep> preTokenizer, IReadOnlyList<AddedToken> addedTokens, SpecialTokenTemplate template,
        TextNormalizer? normalizer, bool ignoreMerges = false, string? unkToken = null, int? maxLength = null, bool byteFallback = false,
        bool fuseUnknown = false)
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
        _fuseUnknown = fuseUnknown;
        if (byteFallback)
        {
            // Only a vocabulary with every byte token can fall back byte by byte; HF then uses the unknown token instead.
            _byteIds = new int[256];
            for (int b = 0; b < 256; b++)
                _byteIds[b] = _vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    /// <inheritdoc/>
    protected override void EncodeText(string normalized, bool atStart, List<int> ids)
    {
        if (normalized.Length == 0) return;
        List<string> pieces = [normalized];
        foreach (PreTokenizerStep step in _preTokenizer) pieces = step.Apply(pieces, atStart);
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
        // One symbol per character (a byte-level piece's are single UTF-16 units of the byte alphabet), looked up
        // without allocating strings.
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < piece.Length;)
        {
            int width = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            var character = piece.AsSpan(i, width);
            i += width;
            if (_lookup.TryGetValue(character, out int id))
            {
                symbols.Add(id);
                continue;
            }
            if (_byteIds is not null && Rune.DecodeFromUtf16(character, out Rune rune, out _) == OperationStatus.Done)
            {
                int count = rune.EncodeToUtf8(utf8);
                bool all = true;
                for (int b = 0; b < count; b++) all &= _byteIds[utf8[b]] >= 0;
                if (all)
                {
                    for (int b = 0; b < count; b++) symbols.Add(_byteIds[utf8[b]]);
                    continue;
                }
            }
            if (_unkId is not int unk) continue;
            if (_fuseUnknown && symbols.Count > 0 && symbols[^1] == unk) continue;
            symbols.Add(unk);
        }
        if (symbols.Count > LongPiece) MergeLong(symbols);
        else MergeShort(symbols);
        ids.AddRange(symbols);
    }

    // Byte-level pieces are words; a SentencePiece-style text without a splitting pre-tokenizer is one long piece.
    private const int LongPiece = 16;

    // Few symbols: rescan for the lowest-ranked pair and merge its every occurrence, left to right.
    private void MergeShort(List<int> symbols)
    {
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
    }

    // Many symbols: HF's merge order (lowest rank first, then leftmost) from a priority queue over a linked list, so a
    // long piece costs n log n instead of a rescan per merge.
    private void MergeLong(List<int> symbols)
    {
        int n = symbols.Count;
        int[] id = [.. symbols];
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        var alive = new bool[n];
        Array.Fill(alive, true);
        var queue = new PriorityQueue<(int Position, int Rank, int Merged), (int Rank, int Position)>(n);
        for (int i = 0; i + 1 < n; i++)
            if (_merges.TryGetValue((id[i], id[i + 1]), out var m)) queue.Enqueue((i, m.Rank, m.Merged), (m.Rank, i));
        while (queue.TryDequeue(out var top, out _))
        {
            int left = top.Position;
            if (!alive[left] || next[left] < 0) continue;
            int right = next[left];
            // A pair changed by an earlier merge is stale.
            if (!_merges.TryGetValue((id[left], id[right]), out var current) || current.Rank != top.Rank || current.Merged != top.Merged) continue;
            id[left] = top.Merged;
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0 && _merges.TryGetValue((id[prev[left]], id[left]), out var before))
                queue.Enqueue((prev[left], before.Rank, before.Merged), (before.Rank, prev[left]));
            if (next[left] >= 0 && _merges.TryGetValue((id[left], id[next[left]]), out var after))
                queue.Enqueue((left, after.Rank, after.Merged), (after.Rank, left));
        }
        symbols.Clear();
        for (int i = 0; i >= 0 && i < n; i = next[i]) symbols.Add(id[i]);
    }
}
