using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Search.GpuAttention;
using Search.GpuAttention.Caching;
using Search.Models;
using Search.Models.Ilgpu;
using Search.Models.Llama;

namespace Search.Ranking.Reranking.InContext;

/// <summary>
/// In-context ranking with a decoder, BlockRank-style: one context holds the instruction, the candidate passages and
/// the query; each passage attends to itself and the instruction, the query to everything, and a passage's score is
/// read from the query's attention at one layer. Each passage is encoded once, right after the instruction, and its
/// keys and values (through the scoring layer only) are kept in the <see cref="PassageKvStore"/>; a query uses them
/// where they were encoded (BlockRank's shared positions) or re-encodes them by RoPE to where they sit in its assembly
/// (Block-Attention), so its cost is its own tokens against the cached passages plus the passages it has never seen.
/// </summary>
public sealed class InContextRanker : IRanker
{
    private const string InstructionBlock = "instruction";
    private readonly TextDecoder _model;
    private readonly InContextRankerOptions _options;
    private readonly PassageKv? _instruction;
    private readonly ChatTemplate _chat;
    private readonly byte[] _fingerprint;

    /// <summary>
    /// A ranker over <paramref name="model"/> (named <paramref name="modelName"/>, its weights identified by
    /// <paramref name="weightsFingerprint"/>) keeping passage K/V in <paramref name="store"/>.
    /// </summary>
    public InContextRanker(TextDecoder model, string modelName, string weightsFingerprint, InContextRankerOptions options, PassageKvStore store)
    {
        _model = model;
        _options = options;
        Store = store;
        int layers = model.Decoder.Config.NumHiddenLayers;
        Layer = options.Layer ?? Math.Max(0, layers * 2 / 3 - 1);
        if (Layer < 0 || Layer >= layers)
            throw new ArgumentOutOfRangeException(nameof(options), $"the ranker layer {Layer} is not one of the model's {layers} layers (0 to {layers - 1})");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Depth, 1, nameof(options));
        Name = $"in-context {modelName} (layer {Layer}{(options.Calibrate ? ", calibrated" : "")})";
        if (options.Prompt == RankerPrompt.BlockRank && options.Positions != PassagePositions.Shared)
            throw new ArgumentException("BlockRank's prompt puts every passage right after the instruction: it needs shared positions", nameof(options));
        var config = model.Decoder.Config;
        _chat = ChatTemplate.For(config.ModelType, model.Tokenizer,
            config.BosTokenId is { ValueKind: System.Text.Json.JsonValueKind.Number } bos ? bos.GetInt32() : null);
        if (options.Prompt == RankerPrompt.Reusable)
        {
            _instruction = EncodeInstruction(model.Tokenizer.Encode(options.Instruction));
            if (options.Positions == PassagePositions.Shared && _instruction.Layers[0].Tokens + options.MaxPassageTokens > options.QueryPosition)
                throw new ArgumentOutOfRangeException(nameof(options), $"the query position {options.QueryPosition} leaves no room for the instruction and a passage of {options.MaxPassageTokens} tokens before it");
        }
        // A passage's K/V depend on the weights, the instruction before it, the layers kept and their precision.
        // Where passages are truncated changes their K/V too, and the file tier outlives a change of that option.
        _fingerprint = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u0001', modelName, options.Prompt.ToString(), options.Instruction,
            Layer.ToString(CultureInfo.InvariantCulture), model.Decoder.CachePrecision.ToString(), weightsFingerprint,
            options.MaxPassageTokens.ToString(CultureInfo.InvariantCulture))));
    }

    /// <summary>Loads a Llama-family decoder directory (Llama, Mistral, Qwen2/3) as the ranker.</summary>
    public static InContextRanker Load(string directory, InContextRankerOptions options, PassageKvStore store, IAttentionBackend? attention = null) =>
        new(ModelDirectory.LoadDecoder(directory, attention, options.Precision, DeviceDecoderLayers.Beside(attention)), Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))),
            Fingerprint(directory), options, store);

    /// <summary>
    /// Identifies a model directory's weights without reading them all: its config, and each weights file's name,
    /// length and first and last 64 KiB (where safetensors keep their header and the last tensors).
    /// </summary>
    public static string Fingerprint(string directory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = new List<string>(Directory.EnumerateFiles(directory, "*.safetensors"));
        files.Sort(StringComparer.Ordinal);
        files.Insert(0, Path.Combine(directory, "config.json"));
        byte[] buffer = new byte[64 * 1024];
        foreach (string file in files)
        {
            using var stream = File.OpenRead(file);
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + ":" + stream.Length.ToString(CultureInfo.InvariantCulture)));
            hash.AppendData(buffer, 0, stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false));
            if (stream.Length > buffer.Length)
            {
                stream.Seek(-buffer.Length, SeekOrigin.End);
                hash.AppendData(buffer, 0, stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false));
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Depth => _options.Depth;

    /// <summary>Where the decoder's attention runs ("cpu", "cuda").</summary>
    public string Attention => _model.Decoder.Attention.Name;

    /// <summary>Where the decoder's dense layers run ("cpu", or the attention's device).</summary>
    public string Layers => _model.Decoder.Layers;

    /// <summary>The layer whose attention scores passages.</summary>
    public int Layer { get; }

    /// <summary>Where passage keys and values are kept.</summary>
    public PassageKvStore Store { get; }

    /// <inheritdoc />
    public ValueTask<double[]> ScoreAsync(RankerQuery query, IReadOnlyList<RankerCandidate> candidates, CancellationToken ct)
    {
        if (candidates.Count == 0) return ValueTask.FromResult(Array.Empty<double>());
        var texts = new string[candidates.Count];
        for (int i = 0; i < texts.Length; i++) texts[i] = _options.Prompt == RankerPrompt.BlockRank ? BlockRankContent(candidates[i]) : PassageText(candidates[i]);
        // On the pool, so the caller's time limit takes effect while the model runs (the work itself stops at the next passage).
        return new ValueTask<double[]>(Task.Run(() => Score(query.Text, texts, ct), ct));
    }

    /// <summary>
    /// Scores passages given as text for <paramref name="query"/> (higher first), in their order: with the reusable
    /// prompt, passage blocks as <see cref="PassageText"/> words them; with BlockRank's, each passage's content.
    /// </summary>
    public double[] Score(string query, IReadOnlyList<string> passages, CancellationToken ct = default)
    {
        double[] scores = Masses(query, passages, ct);
        if (_options.Calibrate)
        {
            double[] contentFree = Masses(ContentFreeQuery, passages, ct);
            for (int i = 0; i < scores.Length; i++) scores[i] -= contentFree[i];
        }
        return scores;
    }

    /// <summary>The query ICR calibrates with.</summary>
    public const string ContentFreeQuery = "N/A";

    /// <summary>BlockRank's instruction (its code's wording), before the query and the documents.</summary>
    public const string BlockRankInstruction = "You will be given a query and a list of documents. Each document will be formatted as ID: <id> | CONTENT: <content> | " +
        "END ID: <id>. You need to read carefully and understand all of them and your goal is to find all document(s) from the list that can help answer the query.";

    /// <summary>
    /// The context's blocks as tokens for <paramref name="query"/> and <paramref name="passages"/>: the instruction
    /// (null with the reusable prompt, whose instruction is encoded once), each passage block (cut to
    /// <see cref="InContextRankerOptions.MaxPassageTokens"/>) and the query block.
    /// </summary>
    public BlockRankPrompt Tokens(string query, IReadOnlyList<string> passages)
    {
        var (instruction, texts, queryTokens) = Wording(query, passages);
        var documents = new int[texts.Length][];
        for (int i = 0; i < texts.Length; i++) documents[i] = _model.Tokenizer.Encode(texts[i], addSpecialTokens: false, maxLength: _options.MaxPassageTokens);
        return new BlockRankPrompt(instruction ?? _model.Tokenizer.Encode(_options.Instruction), documents, queryTokens);
    }

    // The prompt's words: BlockRank's (the query in the instruction, numbered documents, the chat template, the answer's
    // "[" tokenized on its own as BlockRank's code does) or the reusable one's.
    private (int[]? Instruction, string[] Passages, int[] Query) Wording(string query, IReadOnlyList<string> passages)
    {
        var tokenizer = _model.Tokenizer;
        var texts = new string[passages.Count];
        if (_options.Prompt == RankerPrompt.Reusable)
        {
            for (int i = 0; i < texts.Length; i++) texts[i] = passages[i];
            return (null, texts, tokenizer.Encode(string.Format(CultureInfo.InvariantCulture, _options.QueryTemplate, query), addSpecialTokens: false));
        }
        int[] instruction = tokenizer.Encode(_chat.UserPrefix + BlockRankInstruction + "\nQuery: " + query + "\n\nDocuments:", addSpecialTokens: false);
        for (int i = 0; i < texts.Length; i++) texts[i] = string.Create(CultureInfo.InvariantCulture, $"\nID: {i} | CONTENT: {passages[i]} | END ID: {i}");
        int[] queryTokens = [.. tokenizer.Encode("\n\n====== Now let's start! ======\nWhich document is most relevant to answer the query? Print out the ID of the document.\nQuery: " +
            query + "\nThe following document(s) can help answer the query:" + _chat.UserSuffix + _chat.AnswerPrefix, addSpecialTokens: false),
            .. tokenizer.Encode("[", addSpecialTokens: false)];
        return (instruction, texts, queryTokens);
    }

    // The passages' scores read from the query block's attention at the scoring layer (block columns: the instruction,
    // the passages in order, then the query itself).
    private double[] Masses(string query, IReadOnlyList<string> passages, CancellationToken ct)
    {
        var (instructionTokens, texts, queryTokens) = Wording(query, passages);
        PassageKv instruction = _instruction!;
        byte[]? salt = null;
        if (instructionTokens is not null)
        {
            // The query is part of BlockRank's instruction, so the instruction and every passage after it are this query's.
            instruction = EncodeInstruction(instructionTokens);
            salt = SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(instructionTokens.AsSpan()));
        }
        var assembly = new BlockKvCache();
        instruction.AddTo(assembly, InstructionBlock);
        var context = new string[texts.Length + 1];
        context[0] = InstructionBlock;
        for (int i = 0; i < texts.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            string block = BlockName(i);
            Passage(texts[i], instruction, salt).AddTo(assembly, block);
            context[i + 1] = block;
        }
        BlockMasses masses = _model.Decoder.ScoreCached(assembly, context, queryTokens, Layer,
            _options.Positions == PassagePositions.Shared ? _options.QueryPosition : null);
        if (_options.Readout == RankerReadout.Mass) return masses.TotalPerBlock().AsSpan(1, texts.Length).ToArray();
        return BlockRankReadout(masses, texts.Length);
    }

    private PassageKv EncodeInstruction(int[] tokens)
    {
        var cache = new BlockKvCache();
        _model.Decoder.CacheBlockForScoring(cache, InstructionBlock, tokens, [], Layer);
        return PassageKv.From(cache, InstructionBlock);
    }

    /// <summary>
    /// BlockRank's readout from the masses of a query block: its last two rows (the answer position and the token before
    /// it), each head's attention renormalised over the passages (blocks 1…<paramref name="passages"/>), averaged.
    /// </summary>
    public static double[] BlockRankReadout(BlockMasses masses, int passages)
    {
        var scores = new double[passages];
        int rows = masses.Rows.Count, first = Math.Max(0, rows - 2), used = 0;
        for (int row = first; row < rows; row++)
        {
            for (int head = 0; head < masses.Heads; head++)
            {
                double sum = 0;
                for (int p = 1; p <= passages; p++) sum += masses.PerHead(head, row, p);
                if (sum <= 0) continue;
                for (int p = 1; p <= passages; p++) scores[p - 1] += masses.PerHead(head, row, p) / sum;
                used++;
            }
        }
        if (used > 0)
            for (int p = 0; p < passages; p++) scores[p] /= used;
        return scores;
    }

    // A miss encodes the passage in the query that needed it: the store is filled on first use, never in a batch.
    private PassageKv Passage(string text, PassageKv instruction, byte[]? salt)
    {
        string key = Key(text, salt);
        if (Store.TryGet(key, out var cached)) return cached;
        int[] tokens = _model.Tokenizer.Encode(text, addSpecialTokens: false, maxLength: _options.MaxPassageTokens);
        var cache = new BlockKvCache();
        instruction.AddTo(cache, InstructionBlock);
        _model.Decoder.CacheBlockForScoring(cache, "passage", tokens, [InstructionBlock], Layer);
        var entry = PassageKv.From(cache, "passage");
        // A query-bound state (BlockRank's prompt) serves only that query again: memory is enough.
        Store.Put(key, entry, durable: salt is null);
        return entry;
    }

    // The passage's text under the ranker's fingerprint and, when the instruction depends on the query, that instruction's hash.
    private string Key(string text, byte[]? salt)
    {
        int prefix = _fingerprint.Length + (salt?.Length ?? 0);
        int length = prefix + Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _fingerprint.CopyTo(buffer, 0);
            salt?.CopyTo(buffer, _fingerprint.Length);
            int written = prefix + Encoding.UTF8.GetBytes(text, buffer.AsSpan(prefix));
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer.AsSpan(0, written), digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Block names of a query's assembly, made once.
    private static readonly string[] BlockNames = [.. Enumerable.Range(0, 1024).Select(i => "p" + i.ToString(CultureInfo.InvariantCulture))];

    private static string BlockName(int i) => i < BlockNames.Length ? BlockNames[i] : "p" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>A passage's content in BlockRank's prompt: its title and text, as BlockRank's code joins them.</summary>
    public static string BlockRankContent(RankerCandidate c) => (c.Title + " " + c.Text).Trim();

    /// <summary>A passage block of the reusable prompt as the model reads it: a line saying where it sits, then its text.</summary>
    public static string PassageText(RankerCandidate c)
    {
        var where = new StringBuilder("\n[").Append(c.Title);
        if (c.SectionPath.Length > 0) where.Append(" › ").Append(c.SectionPath);
        if (c.ChapterTitle is { Length: > 0 } chapter) where.Append(" › ").Append(chapter);
        return where.Append("]\n").Append(c.Text).ToString();
    }
}
