using Search.GpuAttention;
using Search.Models.Configuration;
using Search.Models.Kernels;

namespace Search.Models.Bert;

/// <summary>A BERT-style encoder (MiniLM, BGE, E5): embeddings + LayerNorm, then post-norm layers of bidirectional
/// self-attention and a GELU feed-forward. A batch's matrix products run over all real tokens at once; attention
/// runs per sequence over its own tokens, so padding never enters a softmax.</summary>
public sealed class BertEncoder : ISequenceEncoder
{
    private readonly BertWeights _w;
    private readonly IAttentionBackend _attention;
    private readonly int _hidden, _heads, _headDim, _intermediate;
    private readonly double _eps;
    private readonly Action<float[], int> _activation;

    /// <summary>An encoder over loaded weights; attention runs on <paramref name="attention"/> (the CPU kernels by default).</summary>
    public BertEncoder(ModelConfig config, BertWeights weights, IAttentionBackend? attention = null)
    {
        Config = config;
        _w = weights;
        _attention = attention ?? new CpuAttentionBackend();
        _hidden = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _headDim = _hidden / _heads;
        _intermediate = config.IntermediateSize;
        _eps = config.LayerNormEps;
        if (config.PositionEmbeddingType != "absolute")
            throw new NotSupportedException($"position_embedding_type '{config.PositionEmbeddingType}'");
        _activation = config.HiddenAct switch
        {
            "gelu" => Activations.Gelu,
            "gelu_new" or "gelu_pytorch_tanh" => Activations.GeluTanh,
            _ => throw new NotSupportedException($"hidden_act '{config.HiddenAct}'"),
        };
    }

    /// <summary>The model's configuration.</summary>
    public ModelConfig Config { get; }

    /// <inheritdoc />
    public string Runtime => "models-fp32";

    /// <inheritdoc />
    public int HiddenSize => _hidden;

    /// <inheritdoc />
    public int MaxPositions => Config.MaxPositionEmbeddings;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>Encodes token-id sequences (already with [CLS]/[SEP]); each must fit max_position_embeddings.</summary>
    public BertOutput Encode(IReadOnlyList<int[]> sequences)
    {
        int batch = sequences.Count;
        int maxTokens = sequences.Count == 0 ? 0 : sequences.Max(s => s.Length);
        if (maxTokens > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"a sequence of {maxTokens} tokens exceeds max_position_embeddings {Config.MaxPositionEmbeddings}");
        // Only real tokens are packed into the work buffers: row offsets[b] + t holds sequence b's token t.
        var offsets = new int[batch + 1];
        for (int b = 0; b < batch; b++) offsets[b + 1] = offsets[b] + sequences[b].Length;
        int rows = offsets[batch];
        var ws = new Workspace(rows, _hidden, _intermediate, maxTokens);
        Embed(sequences, offsets, ws.X);
        foreach (BertWeights.Layer layer in _w.Layers) RunLayer(layer, offsets, ws);

        var hidden = new float[batch * maxTokens * _hidden];
        for (int b = 0; b < batch; b++)
            ws.X.AsSpan(offsets[b] * _hidden, sequences[b].Length * _hidden).CopyTo(hidden.AsSpan(b * maxTokens * _hidden));
        return new BertOutput(hidden, batch, maxTokens, _hidden, [.. sequences.Select(s => s.Length)]);
    }

    private void Embed(IReadOnlyList<int[]> sequences, int[] offsets, float[] x)
    {
        for (int b = 0; b < sequences.Count; b++)
            for (int t = 0; t < sequences[b].Length; t++)
            {
                int id = sequences[b][t];
                if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(sequences), $"token id {id} outside the vocabulary");
                Span<float> row = x.AsSpan((offsets[b] + t) * _hidden, _hidden);
                ReadOnlySpan<float> word = _w.WordEmbeddings.AsSpan(id * _hidden, _hidden);
                ReadOnlySpan<float> pos = _w.PositionEmbeddings.AsSpan(t * _hidden, _hidden);
                ReadOnlySpan<float> type = _w.TokenTypeEmbeddings.AsSpan(0, _hidden);
                for (int i = 0; i < _hidden; i++) row[i] = word[i] + pos[i] + type[i];
            }
        int rows = offsets[^1];
        Norms.LayerNorm(x.AsSpan(0, rows * _hidden), rows, _hidden, _w.EmbeddingNorm, _w.EmbeddingNormBias, _eps, x);
    }

    private void RunLayer(BertWeights.Layer l, int[] offsets, Workspace ws)
    {
        int rows = offsets[^1];
        l.Query.Apply(ws.X, rows, ws.Q);
        l.Key.Apply(ws.X, rows, ws.K);
        l.Value.Apply(ws.X, rows, ws.V);
        for (int b = 0; b + 1 < offsets.Length; b++)
        {
            int n = offsets[b + 1] - offsets[b];
            if (n == 0) continue;
            int len = _heads * n * _headDim;
            var (q, o) = ws.HeadBuffers(n);
            HeadLayout.ToHeadMajor(ws.Q, offsets[b], n, _heads, _headDim, q);
            HeadLayout.ToHeadMajor(ws.K, offsets[b], n, _heads, _headDim, ws.HeadK.AsSpan(0, len));
            HeadLayout.ToHeadMajor(ws.V, offsets[b], n, _heads, _headDim, ws.HeadV.AsSpan(0, len));
            var keys = KvTensor.FromSingle(ws.HeadK.AsSpan(0, len), _heads, n, _headDim);
            var values = KvTensor.FromSingle(ws.HeadV.AsSpan(0, len), _heads, n, _headDim);
            _attention.Dense(new AttentionInput(q, _heads, n, 0, keys, values), causal: false, o);
            HeadLayout.ToTokenMajor(o, n, _heads, _headDim, ws.Context, offsets[b]);
        }
        // post-norm residual blocks: x = LN(x + attn·Wo), x = LN(x + FFN(x))
        l.AttentionOutput.Apply(ws.Context, rows, ws.Projected);
        AddInPlace(ws.X.AsSpan(0, rows * _hidden), ws.Projected);
        Norms.LayerNorm(ws.X.AsSpan(0, rows * _hidden), rows, _hidden, l.AttentionNorm, l.AttentionNormBias, _eps, ws.X);
        l.Intermediate.Apply(ws.X, rows, ws.Inner);
        _activation(ws.Inner, rows * _intermediate);
        l.Output.Apply(ws.Inner, rows, ws.Projected);
        AddInPlace(ws.X.AsSpan(0, rows * _hidden), ws.Projected);
        Norms.LayerNorm(ws.X.AsSpan(0, rows * _hidden), rows, _hidden, l.OutputNorm, l.OutputNormBias, _eps, ws.X);
    }

    private static void AddInPlace(Span<float> x, ReadOnlySpan<float> y)
    {
        for (int i = 0; i < x.Length; i++) x[i] += y[i];
    }

    /// <summary>Buffers for one Encode call, allocated once and reused by every layer.</summary>
    private sealed class Workspace(int rows, int hidden, int intermediate, int maxTokens)
    {
        public float[] X { get; } = new float[rows * hidden];
        public float[] Q { get; } = new float[rows * hidden];
        public float[] K { get; } = new float[rows * hidden];
        public float[] V { get; } = new float[rows * hidden];
        public float[] Context { get; } = new float[rows * hidden];
        public float[] Projected { get; } = new float[rows * hidden];
        public float[] Inner { get; } = new float[rows * intermediate];
        private readonly Dictionary<int, (float[] Query, float[] Output)> _headBuffers = [];

        public float[] HeadK { get; } = new float[maxTokens * hidden];
        public float[] HeadV { get; } = new float[maxTokens * hidden];

        /// <summary>Query and output buffers of exactly one sequence length (the kernels check lengths), reused across layers.</summary>
        public (float[] Query, float[] Output) HeadBuffers(int tokens)
        {
            if (!_headBuffers.TryGetValue(tokens, out var buffers))
                _headBuffers[tokens] = buffers = (new float[tokens * hidden], new float[tokens * hidden]);
            return buffers;
        }
    }
}
