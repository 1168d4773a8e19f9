using ILGPU;
using ILGPU.Runtime;
using Search.GpuAttention.Ilgpu;
using Search.Models.Bert;
using Search.Models.Configuration;

namespace Search.Models.Ilgpu;

/// <summary>
/// <see cref="BertEncoder"/>'s pass on an ILGPU accelerator (CUDA, or ILGPU's CPU accelerator in tests): the weights
/// are copied to the device once, a batch's token rows go up once and its last hidden states come back once; every
/// matrix product, attention, activation and LayerNorm in between runs on the device. fp32 throughout.
/// </summary>
public sealed class DeviceBertEncoder : ISequenceEncoder
{
    private readonly IlgpuDevice? _owned;
    private readonly Accelerator _accelerator;
    private readonly DeviceBertWeights _w;
    private readonly ModelConfig _config;
    private readonly int _hidden, _heads, _headDim, _intermediate;
    private readonly Lock _gate = new();
    private readonly DeviceArray<int> _ids, _positions, _tiles;
    private readonly DeviceArray<float> _x, _qkv, _context, _projected, _inner;
    private readonly Action<Index1D, int, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _embed;
    private readonly DeviceMatMul _matMul;
    private readonly Action<KernelConfig, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _norm;
    private readonly Action<KernelConfig, EncoderAttentionArgs, ArrayView<int>, ArrayView<float>, ArrayView<float>> _attention;

    /// <summary>An encoder on <paramref name="device"/>, which it owns and disposes.</summary>
    public DeviceBertEncoder(IlgpuDevice device, ModelConfig config, BertWeights weights) : this(device, device.Accelerator, config, weights) { }

    /// <summary>An encoder on <paramref name="accelerator"/>, which the caller keeps and disposes.</summary>
    public DeviceBertEncoder(Accelerator accelerator, ModelConfig config, BertWeights weights) : this(null, accelerator, config, weights) { }

    private DeviceBertEncoder(IlgpuDevice? owned, Accelerator accelerator, ModelConfig config, BertWeights weights)
    {
        try
        {
            if (config.PositionEmbeddingType != "absolute") throw new NotSupportedException($"position_embedding_type '{config.PositionEmbeddingType}'");
            if (config.HiddenAct != "gelu") throw new NotSupportedException($"hidden_act '{config.HiddenAct}' on the device (it runs erf-GELU)");
            _hidden = config.HiddenSize;
            _heads = config.NumAttentionHeads;
            _headDim = _hidden / _heads;
            if (_headDim > EncoderKernels.MaxHeadDim) throw new NotSupportedException($"the device kernel holds heads of at most {EncoderKernels.MaxHeadDim}; this model has {_headDim}");
            _owned = owned;
            _accelerator = accelerator;
            _config = config;
            _intermediate = config.IntermediateSize;
            accelerator.Bind(); // loading kernels and copying weights need the context current on this thread
            // Kernels first: a device that cannot compile them fails before any weight is copied.
            _matMul = new DeviceMatMul(accelerator);
            _embed = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(EncoderKernels.Embed);
            _norm = accelerator.LoadStreamKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(EncoderKernels.AddLayerNorm);
            _attention = accelerator.LoadStreamKernel<EncoderAttentionArgs, ArrayView<int>, ArrayView<float>, ArrayView<float>>(EncoderKernels.Attention);
            _w = new DeviceBertWeights(accelerator, weights);
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
        _ids = new DeviceArray<int>(accelerator);
        _positions = new DeviceArray<int>(accelerator);
        _tiles = new DeviceArray<int>(accelerator);
        _x = new DeviceArray<float>(accelerator);
        _qkv = new DeviceArray<float>(accelerator);
        _context = new DeviceArray<float>(accelerator);
        _projected = new DeviceArray<float>(accelerator);
        _inner = new DeviceArray<float>(accelerator);
    }

    /// <inheritdoc />
    public string Runtime => "models-fp32-" + IlgpuDevice.NameOf(_accelerator);

    /// <summary>The device's name as its driver reports it.</summary>
    public string DeviceName => _accelerator.Name;

    /// <inheritdoc />
    public int HiddenSize => _hidden;

    /// <inheritdoc />
    public int MaxPositions => _config.MaxPositionEmbeddings;

    /// <inheritdoc />
    public BertOutput Encode(IReadOnlyList<int[]> sequences)
    {
        int batch = sequences.Count, maxTokens = 0;
        var offsets = new int[batch + 1];
        int tileCount = 0;
        for (int b = 0; b < batch; b++)
        {
            int[] s = sequences[b];
            if (s.Length > _config.MaxPositionEmbeddings)
                throw new ArgumentException($"a sequence of {s.Length} tokens exceeds max_position_embeddings {_config.MaxPositionEmbeddings}");
            foreach (int id in s)
                if ((uint)id >= (uint)_config.VocabSize) throw new ArgumentOutOfRangeException(nameof(sequences), $"token id {id} outside the vocabulary");
            maxTokens = Math.Max(maxTokens, s.Length);
            offsets[b + 1] = offsets[b] + s.Length;
            tileCount += (s.Length + EncoderKernels.QueryTile - 1) / EncoderKernels.QueryTile;
        }
        int rows = offsets[batch];
        var hidden = new float[(long)batch * maxTokens * _hidden];
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++) lengths[b] = sequences[b].Length;
        if (rows == 0) return new BertOutput(hidden, batch, maxTokens, _hidden, lengths);

        var ids = new int[rows];
        var positions = new int[rows];
        var tiles = new int[tileCount * EncoderKernels.TileFields];
        for (int b = 0, tile = 0; b < batch; b++)
        {
            int[] s = sequences[b];
            s.CopyTo(ids, offsets[b]);
            for (int t = 0; t < s.Length; t++) positions[offsets[b] + t] = t;
            for (int first = 0; first < s.Length; first += EncoderKernels.QueryTile, tile++)
            {
                tiles[tile * EncoderKernels.TileFields + EncoderKernels.SequenceStart] = offsets[b];
                tiles[tile * EncoderKernels.TileFields + EncoderKernels.SequenceLength] = s.Length;
                tiles[tile * EncoderKernels.TileFields + EncoderKernels.FirstRow] = first;
            }
        }

        var packed = new float[(long)rows * _hidden];
        lock (_gate)
        {
            // A CUDA context is current only on the thread that made it; batches arrive on any pool thread.
            _accelerator.Bind();
            var idView = _ids.Upload(ids);
            var positionView = _positions.Upload(positions);
            var tileView = _tiles.Upload(tiles);
            var x = _x.Reserve((long)rows * _hidden);
            var qkv = _qkv.Reserve(3L * rows * _hidden);
            var context = _context.Reserve((long)rows * _hidden);
            var projected = _projected.Reserve((long)rows * _hidden);
            var inner = _inner.Reserve((long)rows * _intermediate);
            float epsilon = (float)_config.LayerNormEps;

            _embed(rows * _hidden, _hidden, idView, positionView, _w.WordEmbeddings, _w.PositionEmbeddings, _w.TokenTypeEmbeddings, x);
            Norm(rows, x, x, _w.EmbeddingNorm, _w.EmbeddingNormBias, epsilon, residual: false);
            var attentionArgs = new EncoderAttentionArgs { Heads = _heads, HeadDim = _headDim, Hidden = _hidden, Scale = 1f / MathF.Sqrt(_headDim) };
            foreach (var l in _w.Layers)
            {
                _matMul.Apply(rows, x, l.QueryKeyValue, qkv);
                _attention(new KernelConfig(tileCount * _heads, EncoderKernels.QueryTile), attentionArgs, tileView, qkv, context);
                // post-norm residual blocks: x = LN(x + attn·Wo), x = LN(x + FFN(x))
                _matMul.Apply(rows, context, l.AttentionOutput, projected);
                Norm(rows, x, projected, l.AttentionNorm, l.AttentionNormBias, epsilon, residual: true);
                _matMul.Apply(rows, x, l.Intermediate, inner, gelu: true);
                _matMul.Apply(rows, inner, l.Output, projected);
                Norm(rows, x, projected, l.OutputNorm, l.OutputNormBias, epsilon, residual: true);
            }
            _accelerator.Synchronize();
            HostCopy.ToHost(x, packed.AsSpan());
        }
        for (int b = 0; b < batch; b++)
            Array.Copy(packed, (long)offsets[b] * _hidden, hidden, (long)b * maxTokens * _hidden, (long)lengths[b] * _hidden);
        return new BertOutput(hidden, batch, maxTokens, _hidden, lengths);
    }

    private void Norm(int rows, ArrayView<float> x, ArrayView<float> y, ArrayView<float> weight, ArrayView<float> bias, float epsilon, bool residual) =>
        _norm(new KernelConfig(rows, GroupSum.Threads), new NormArgs { Width = _hidden, Residual = residual ? 1 : 0, Epsilon = epsilon }, x, y, weight, bias);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _accelerator.Bind();
            _w.Dispose();
            _ids.Dispose();
            _positions.Dispose();
            _tiles.Dispose();
            _x.Dispose();
            _qkv.Dispose();
            _context.Dispose();
            _projected.Dispose();
            _inner.Dispose();
            _owned?.Dispose();
        }
    }
}
