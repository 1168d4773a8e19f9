using Search.GpuAttention;
using Search.GpuAttention.Caching;
using Search.Models.Configuration;
using Search.Models.Kernels;

namespace Search.Models.Llama;

/// <summary>A Llama-family decoder (Llama, Qwen2, Qwen3, Mistral): RMSNorm, RoPE, grouped-query attention and a SwiGLU
/// feed-forward. Besides a causal prefill it runs BlockRank prompts, either in one block-sparse pass or block by
/// block against a <see cref="BlockKvCache"/> so documents are encoded once and reused under any query.</summary>
public sealed class LlamaDecoder : IDisposable
{
    private readonly LlamaWeights _w;
    private readonly IAttentionBackend _attention;
    private readonly int _hidden, _heads, _kvHeads, _headDim, _intermediate;
    private readonly double _eps;
    private readonly IDecoderLayers? _layers;

    /// <summary>Signature of the attention of one layer on <paramref name="attention"/>: head-major queries, keys and values
    /// of the tokens being run (already RoPE-encoded) in, head-major output out.</summary>
    private delegate void AttentionStep(IAttentionBackend attention, int layer, float[] query, KvTensor keys, KvTensor values, float[]? output);

    /// <summary>A decoder over loaded weights; attention runs on <paramref name="attention"/> (the CPU kernels by default),
    /// cached keys/values are kept in <paramref name="cachePrecision"/>, and the layers run on what
    /// <paramref name="layers"/> makes of the config and weights (null: the CPU kernels), attention on the backend they name.</summary>
    public LlamaDecoder(ModelConfig config, LlamaWeights weights, IAttentionBackend? attention = null, KvPrecision cachePrecision = KvPrecision.Float32,
        Func<ModelConfig, LlamaWeights, IDecoderLayers>? layers = null)
    {
        if (config.RopeScaling is { ValueKind: System.Text.Json.JsonValueKind.Object } scaling)
            throw new NotSupportedException($"rope_scaling {scaling.GetRawText()} (only unscaled RoPE is implemented)");
        if (config.ModelType is not ("llama" or "qwen2" or "qwen3" or "mistral"))
            throw new NotSupportedException($"model_type '{config.ModelType}' (Llama, Qwen2, Qwen3 and Mistral layouts are supported)");
        if (config.HiddenAct != "silu") throw new NotSupportedException($"hidden_act '{config.HiddenAct}' (SwiGLU needs silu)");
        Config = config;
        _w = weights;
        _layers = layers?.Invoke(config, weights);
        if (_layers is not null && attention is not null && !ReferenceEquals(attention, _layers.Attention))
        {
            _layers.Dispose();
            throw new ArgumentException("the layers run their attention on their own backend; pass that one or none", nameof(attention));
        }
        _attention = _layers?.Attention ?? attention ?? new CpuAttentionBackend();
        _hidden = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _kvHeads = config.KeyValueHeads;
        _headDim = config.HeadDim;
        _intermediate = config.IntermediateSize;
        _eps = config.RmsNormEps;
        CachePrecision = cachePrecision;
        Rope = new RotaryEmbedding(_headDim, config.RopeTheta, RotaryPairing.RotateHalf);
    }

    /// <summary>The model's configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>The rotary embedding the keys are encoded with (and re-encoded by when reused).</summary>
    public RotaryEmbedding Rope { get; }

    /// <summary>Precision of the keys and values handed to the kernels and the cache.</summary>
    public KvPrecision CachePrecision { get; }

    /// <summary>The attention kernels this decoder runs on.</summary>
    public IAttentionBackend Attention => _attention;

    /// <summary>Where the layers run: "cpu", or the device's name.</summary>
    public string Layers => _layers?.Name ?? "cpu";

    /// <summary>Frees the layers' device memory (nothing on the CPU).</summary>
    public void Dispose() => _layers?.Dispose();

    /// <summary>A causal prefill of <paramref name="tokens"/> at positions 0…; returns every token's final hidden state.</summary>
    public DecoderOutput Prefill(int[] tokens)
    {
        float[] hidden = Forward(tokens, 0, (attention, _, q, k, v, o) => attention.Dense(new AttentionInput(q, _heads, tokens.Length, 0, k, v), causal: true, o!))!;
        return new DecoderOutput(hidden, tokens.Length, _hidden);
    }

    /// <summary>One block-sparse pass over the assembled prompt at positions 0…: documents see the instruction and
    /// themselves, the query sees everything. Returns the query tokens' states and their masses at <paramref name="massLayers"/>.</summary>
    public BlockRankOutput PrefillBlockRank(BlockRankPrompt prompt, IReadOnlyCollection<int> massLayers)
    {
        int[] tokens = prompt.Tokens;
        var layout = BlockLayout.BlockRank(prompt.Instruction.Length, [.. prompt.Documents.Select(d => d.Length)], prompt.Query.Length);
        var rows = new RowRange(prompt.QueryStart, prompt.Query.Length);
        var masses = new Dictionary<int, BlockMasses>();
        float[] hidden = Forward(tokens, 0, (attention, layer, q, k, v, o) =>
        {
            BlockMasses? m = attention.BlockSparse(new AttentionInput(q, _heads, tokens.Length, 0, k, v), layout, o,
                massLayers.Contains(layer) ? rows : null);
            if (m is not null) masses[layer] = m;
        })!;
        var queryHidden = hidden.AsSpan(prompt.QueryStart * _hidden, prompt.Query.Length * _hidden).ToArray();
        return new BlockRankOutput(new DecoderOutput(queryHidden, prompt.Query.Length, _hidden), masses);
    }

    /// <summary>Encodes a block (instruction or document) after the cached <paramref name="context"/> blocks — fully
    /// visible, laid end to end from position 0 — and stores its keys and values for every layer under
    /// <paramref name="blockId"/>, recorded at the position it was encoded at. Returns the block's states.
    /// <paramref name="position"/> (default: right after the context) places the block elsewhere, e.g. at its offset in
    /// one fixed assembly, where a query against the cache reproduces <see cref="PrefillBlockRank"/> exactly.</summary>
    public DecoderOutput EncodeBlock(BlockKvCache cache, string blockId, int[] tokens, IReadOnlyList<string> context, int? position = null)
    {
        int contextLength = ContextLength(cache, context);
        // Context keys are compared with the block's queries through RoPE alone, so any position after the context is exact.
        if (position is int p) ArgumentOutOfRangeException.ThrowIfLessThan(p, contextLength, nameof(position));
        int at = position ?? contextLength;
        float[] hidden = Forward(tokens, at, (attention, layer, q, k, v, o) =>
        {
            cache.Put(blockId, layer, k, v, at);
            AttendAfterContext(attention, cache, context, layer, q, k, v, o, null);
        })!;
        return new DecoderOutput(hidden, tokens.Length, _hidden);
    }

    /// <summary>Caches a block's keys and values for layers 0…<paramref name="lastLayer"/> only, enough for
    /// <see cref="ScoreCached"/> at that layer; the block's own attention at the last layer is skipped.</summary>
    public void CacheBlockForScoring(BlockKvCache cache, string blockId, int[] tokens, IReadOnlyList<string> context, int lastLayer)
    {
        int position = ContextLength(cache, context);
        Forward(tokens, position, (attention, layer, q, k, v, o) =>
        {
            cache.Put(blockId, layer, k, v, position);
            if (layer < lastLayer) AttendAfterContext(attention, cache, context, layer, q, k, v, o, null);
        }, lastLayer);
    }

    /// <summary>Runs the query block after cached blocks (instruction, then documents in any order): cached keys are
    /// re-encoded by RoPE to their assembled offsets, so each document may have been encoded anywhere. Masses have one
    /// column per context block, then the query block.</summary>
    public BlockRankOutput QueryCached(BlockKvCache cache, IReadOnlyList<string> context, int[] query, IReadOnlyCollection<int> massLayers)
    {
        int position = ContextLength(cache, context);
        var masses = new Dictionary<int, BlockMasses>();
        float[] hidden = Forward(query, position, (attention, layer, q, k, v, o) =>
        {
            BlockMasses? m = AttendAfterContext(attention, cache, context, layer, q, k, v, o, massLayers.Contains(layer) ? new RowRange(0, query.Length) : null);
            if (m is not null) masses[layer] = m;
        })!;
        return new BlockRankOutput(new DecoderOutput(hidden, query.Length, _hidden), masses);
    }

    /// <summary>BlockRank scoring in one block-sparse pass that stops at <paramref name="layer"/>: the layers above it and
    /// that layer's attention output are never computed, only the query rows' masses (as in <see cref="PrefillBlockRank"/>).</summary>
    public BlockMasses ScoreBlockRank(BlockRankPrompt prompt, int layer)
    {
        int[] tokens = prompt.Tokens;
        var layout = BlockLayout.BlockRank(prompt.Instruction.Length, [.. prompt.Documents.Select(d => d.Length)], prompt.Query.Length);
        var rows = new RowRange(prompt.QueryStart, prompt.Query.Length);
        BlockMasses? masses = null;
        Forward(tokens, 0, (attention, l, q, k, v, o) =>
            masses = attention.BlockSparse(new AttentionInput(q, _heads, tokens.Length, 0, k, v), layout, o, l == layer ? rows : null), layer);
        return masses!;
    }

    /// <summary>BlockRank scoring of a query against cached blocks, stopping at <paramref name="layer"/> (documents need
    /// only have been encoded through that layer). Masses as in <see cref="QueryCached"/>.</summary>
    /// <param name="queryAt">Null: the context laid end to end, the query after it; else every block where it was encoded
    /// and the query from this position (BlockRank's layout).</param>
    public BlockMasses ScoreCached(BlockKvCache cache, IReadOnlyList<string> context, int[] query, int layer, int? queryAt = null)
    {
        if (context.Count == 0) throw new ArgumentException("scoring needs context blocks", nameof(context));
        int position = queryAt ?? ContextLength(cache, context);
        BlockMasses? masses = null;
        Forward(query, position, (attention, l, q, k, v, o) =>
            masses = AttendAfterContext(attention, cache, context, l, q, k, v, o, l == layer ? new RowRange(0, query.Length) : null, queryAt), layer);
        return masses!;
    }

    /// <summary>Next-token logits [vocab] for one final hidden state.</summary>
    public float[] Logits(ReadOnlySpan<float> state)
    {
        // one row: dot products against the unpacked head, so a tied head is not duplicated in packed form
        var logits = new float[Config.VocabSize];
        for (int v = 0; v < logits.Length; v++) logits[v] = MatMul.Dot(state, _w.LmHead.AsSpan(v * _hidden, _hidden));
        return logits;
    }

    private BlockMasses? AttendAfterContext(IAttentionBackend attention, BlockKvCache cache, IReadOnlyList<string> context, int layer, float[] q, KvTensor k, KvTensor v, float[]? o, RowRange? rows, int? queryAt = null)
    {
        var input = new AttentionInput(q, _heads, k.Tokens, 0, k, v);
        if (context.Count > 0) return attention.QueryAgainstCache(new CachedContext(cache, layer, context, Rope, queryAt), input, o, rows);
        attention.Dense(input, causal: true, o!);
        return null;
    }

    private static int ContextLength(BlockKvCache cache, IReadOnlyList<string> context) =>
        context.Sum(id => cache.Get(id, 0).Tokens);

    /// <summary>Runs <paramref name="tokens"/> (first one at <paramref name="position"/>) through every layer, with
    /// attention delegated to <paramref name="attend"/>; returns the final-normed states. With <paramref name="stopLayer"/>
    /// it stops after that layer's attention, which gets a null output (masses only), and returns null.</summary>
    private float[]? Forward(int[] tokens, int position, AttentionStep attend, int? stopLayer = null)
    {
        if (stopLayer is int s && (s < 0 || s >= _w.Layers.Count))
            throw new ArgumentOutOfRangeException(nameof(stopLayer), $"layer {s} outside 0..{_w.Layers.Count - 1}");
        int t = tokens.Length;
        foreach (int id in tokens)
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {id} outside the vocabulary");
        if (_layers is not null) return ForwardOnLayers(_layers, tokens, position, attend, stopLayer);
        var ws = new Workspace(t, _hidden, _heads * _headDim, _kvHeads * _headDim, _intermediate);
        for (int i = 0; i < t; i++) _w.Embeddings.AsSpan(tokens[i] * _hidden, _hidden).CopyTo(ws.X.AsSpan(i * _hidden));
        for (int l = 0; l < _w.Layers.Count; l++)
        {
            LlamaWeights.Layer w = _w.Layers[l];
            Norms.RmsNorm(ws.X, t, _hidden, w.InputNorm, _eps, ws.Normed);
            w.Query.Apply(ws.Normed, t, ws.Q);
            w.Key.Apply(ws.Normed, t, ws.K);
            w.Value.Apply(ws.Normed, t, ws.V);
            // token-major [t][heads·headDim] is [t·heads][headDim]: a per-head norm is a row norm of width headDim
            if (w.QueryNorm is not null) Norms.RmsNorm(ws.Q, t * _heads, _headDim, w.QueryNorm, _eps, ws.Q);
            if (w.KeyNorm is not null) Norms.RmsNorm(ws.K, t * _kvHeads, _headDim, w.KeyNorm, _eps, ws.K);
            HeadLayout.ToHeadMajor(ws.Q, 0, t, _heads, _headDim, ws.HeadQ);
            HeadLayout.ToHeadMajor(ws.K, 0, t, _kvHeads, _headDim, ws.HeadK);
            HeadLayout.ToHeadMajor(ws.V, 0, t, _kvHeads, _headDim, ws.HeadV);
            for (int h = 0; h < _heads; h++) Rope.Apply(ws.HeadQ.AsSpan(h * t * _headDim, t * _headDim), position);
            for (int h = 0; h < _kvHeads; h++) Rope.Apply(ws.HeadK.AsSpan(h * t * _headDim, t * _headDim), position);
            // fresh tensors per layer: the cache may keep them
            var keys = KvTensor.FromSingle(ws.HeadK, _kvHeads, t, _headDim, CachePrecision);
            var values = KvTensor.FromSingle(ws.HeadV, _kvHeads, t, _headDim, CachePrecision);
            if (l == stopLayer)
            {
                attend(_attention, l, ws.HeadQ, keys, values, null);
                return null;
            }
            attend(_attention, l, ws.HeadQ, keys, values, ws.HeadOut);
            HeadLayout.ToTokenMajor(ws.HeadOut, t, _heads, _headDim, ws.Context, 0);
            w.Output.Apply(ws.Context, t, ws.Projected);
            AddInPlace(ws.X, ws.Projected);
            Norms.RmsNorm(ws.X, t, _hidden, w.PostAttentionNorm, _eps, ws.Normed);
            w.Gate.Apply(ws.Normed, t, ws.Gate);
            w.Up.Apply(ws.Normed, t, ws.Up);
            Activations.SiluGate(ws.Gate, ws.Up, t * _intermediate);
            w.Down.Apply(ws.Gate, t, ws.Projected);
            AddInPlace(ws.X, ws.Projected);
        }
        var result = new float[t * _hidden];
        Norms.RmsNorm(ws.X, t, _hidden, _w.FinalNorm, _eps, result);
        return result;
    }

    /// <summary><see cref="Forward"/> on device layers: everything but the keys and values (and masses) stays there, so the
    /// query and output arrays handed to <paramref name="attend"/> carry only their shapes.</summary>
    private float[]? ForwardOnLayers(IDecoderLayers layers, int[] tokens, int position, AttentionStep attend, int? stopLayer)
    {
        int t = tokens.Length;
        float[] queryShape = new float[t * _heads * _headDim], outputShape = new float[t * _heads * _headDim];
        using IDecoderPass pass = layers.Begin(tokens, position, Rope);
        for (int l = 0; l < _w.Layers.Count; l++)
        {
            var (keys, values) = pass.Project(l, CachePrecision);
            if (l == stopLayer)
            {
                attend(pass.Attention, l, queryShape, keys, values, null);
                return null;
            }
            attend(pass.Attention, l, queryShape, keys, values, outputShape);
            pass.Complete(l);
        }
        var result = new float[t * _hidden];
        pass.Final(result);
        return result;
    }

    private static void AddInPlace(Span<float> x, ReadOnlySpan<float> y)
    {
        for (int i = 0; i < x.Length; i++) x[i] += y[i];
    }

    /// <summary>Buffers for one pass on the CPU, allocated once and reused by every layer.</summary>
    private sealed class Workspace(int tokens, int hidden, int queryWidth, int kvWidth, int intermediate)
    {
        public float[] X { get; } = new float[tokens * hidden];
        public float[] Normed { get; } = new float[tokens * hidden];
        public float[] Q { get; } = new float[tokens * queryWidth];
        public float[] K { get; } = new float[tokens * kvWidth];
        public float[] V { get; } = new float[tokens * kvWidth];
        public float[] HeadQ { get; } = new float[tokens * queryWidth];
        public float[] HeadK { get; } = new float[tokens * kvWidth];
        public float[] HeadV { get; } = new float[tokens * kvWidth];
        public float[] HeadOut { get; } = new float[tokens * queryWidth];
        public float[] Context { get; } = new float[tokens * queryWidth];
        public float[] Projected { get; } = new float[tokens * hidden];
        public float[] Gate { get; } = new float[tokens * intermediate];
        public float[] Up { get; } = new float[tokens * intermediate];
    }
}
