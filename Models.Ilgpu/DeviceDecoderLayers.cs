using ILGPU;
using ILGPU.Runtime;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;
using Search.Models.Configuration;
using Search.Models.Llama;

namespace Search.Models.Ilgpu;

/// <summary>
/// A Llama-family decoder's layers on an ILGPU accelerator, attention included (on the <see cref="IlgpuAttentionBackend"/>
/// of the same accelerator): weights copied once (query, key and value stacked into one product, gate and up into
/// another), and the hidden state, the queries and the attention output kept on the device across layers. Per layer
/// only the keys and values come to the host, for the passage-KV store (they stay in the attention backend's resident
/// pool, rounded there to the cache's precision), and the masses asked for.
/// </summary>
public sealed class DeviceDecoderLayers : IDecoderLayers
{
    private readonly IlgpuAttentionBackend _attention;
    private readonly Accelerator _accelerator;
    private readonly DeviceTensors _tensors;
    private readonly DeviceMatMul _matMul;
    private readonly Layer[] _layers;
    private readonly ArrayView<float> _embeddings, _finalNorm, _noNorm;
    private readonly int _hidden, _heads, _kvHeads, _headDim, _intermediate;
    private readonly float _epsilon;
    private readonly Lock _gate = new();
    private readonly DeviceArray<int> _ids;
    private readonly DeviceArray<float> _x, _normed, _qkv, _headQ, _headK, _headV, _cos, _sin, _context, _projected, _gateUp, _g;
    private readonly Action<Index1D, int, ArrayView<int>, ArrayView<float>, ArrayView<float>> _gather;
    private readonly Action<KernelConfig, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _norm;
    private readonly Action<Index1D, HeadArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _prepareHeads;
    private readonly Action<Index1D, int, ArrayView<float>, ArrayView<float>> _silu;

    private sealed record Layer(ArrayView<float> InputNorm, DeviceLinear QueryKeyValue, ArrayView<float>? QueryNorm, ArrayView<float>? KeyNorm,
        DeviceLinear Output, ArrayView<float> PostAttentionNorm, DeviceLinear GateUp, DeviceLinear Down);

    /// <summary>The layers of <paramref name="weights"/> on the accelerator of <paramref name="attention"/>, which runs their
    /// attention; the caller keeps and disposes both.</summary>
    public DeviceDecoderLayers(IlgpuAttentionBackend attention, ModelConfig config, LlamaWeights weights)
    {
        _attention = attention;
        var accelerator = _accelerator = attention.Accelerator;
        accelerator.Bind(); // loading kernels and copying weights need the context current on this thread
        // Kernels first: a device that cannot compile them fails before any weight is copied.
        _matMul = new DeviceMatMul(accelerator);
        _gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<int>, ArrayView<float>, ArrayView<float>>(DecoderKernels.Gather);
        _norm = accelerator.LoadStreamKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DecoderKernels.AddRmsNorm);
        _prepareHeads = accelerator.LoadAutoGroupedStreamKernel<Index1D, HeadArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DecoderKernels.PrepareHeads);
        _silu = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<float>, ArrayView<float>>(DecoderKernels.SiluGate);
        _hidden = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _kvHeads = config.KeyValueHeads;
        _headDim = config.HeadDim;
        _intermediate = config.IntermediateSize;
        _epsilon = (float)config.RmsNormEps;
        _tensors = new DeviceTensors(accelerator);
        try
        {
            _embeddings = _tensors.Copy(weights.Embeddings);
            _finalNorm = _tensors.Copy(weights.FinalNorm);
            _noNorm = _tensors.Copy([0f]);
            _layers = new Layer[weights.Layers.Count];
            for (int l = 0; l < _layers.Length; l++)
            {
                var w = weights.Layers[l];
                _layers[l] = new Layer(_tensors.Copy(w.InputNorm), _tensors.Linear(w.Query, w.Key, w.Value),
                    w.QueryNorm is null ? null : _tensors.Copy(w.QueryNorm), w.KeyNorm is null ? null : _tensors.Copy(w.KeyNorm),
                    _tensors.Linear(w.Output), _tensors.Copy(w.PostAttentionNorm), _tensors.Linear(w.Gate, w.Up), _tensors.Linear(w.Down));
            }
        }
        catch
        {
            _tensors.Dispose();
            throw;
        }
        _ids = new DeviceArray<int>(accelerator);
        _x = new DeviceArray<float>(accelerator);
        _normed = new DeviceArray<float>(accelerator);
        _qkv = new DeviceArray<float>(accelerator);
        _headQ = new DeviceArray<float>(accelerator);
        _headK = new DeviceArray<float>(accelerator);
        _headV = new DeviceArray<float>(accelerator);
        _cos = new DeviceArray<float>(accelerator);
        _sin = new DeviceArray<float>(accelerator);
        _context = new DeviceArray<float>(accelerator);
        _projected = new DeviceArray<float>(accelerator);
        _gateUp = new DeviceArray<float>(accelerator);
        _g = new DeviceArray<float>(accelerator);
    }

    /// <summary>
    /// The layers' place for a decoder whose attention runs on <paramref name="attention"/>: its ILGPU device when it is
    /// one whose groups hold the matrix product's threads (every GPU; a simulator made for it), else null (the CPU kernels).
    /// </summary>
    public static Func<ModelConfig, LlamaWeights, IDecoderLayers>? Beside(IAttentionBackend? attention) =>
        attention is IlgpuAttentionBackend device && device.Accelerator.MaxNumThreadsPerGroup >= MatMulKernel.Threads
            ? (config, weights) => new DeviceDecoderLayers(device, config, weights)
            : null;

    /// <inheritdoc />
    public string Name => IlgpuDevice.NameOf(_accelerator);

    /// <inheritdoc />
    public IAttentionBackend Attention => _attention;

    /// <inheritdoc />
    public IDecoderPass Begin(int[] tokens, int position, RotaryEmbedding rope)
    {
        if (rope.HeadDim != _headDim) throw new ArgumentException($"RoPE over {rope.HeadDim} elements, heads of {_headDim}", nameof(rope));
        _gate.Enter();
        try
        {
            // A CUDA context is current only on the thread that made it; passes arrive on any pool thread.
            _accelerator.Bind();
            return new Pass(this, tokens, position, rope);
        }
        catch
        {
            _gate.Exit();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _accelerator.Bind();
            _tensors.Dispose();
            _ids.Dispose();
            _x.Dispose();
            _normed.Dispose();
            _qkv.Dispose();
            _headQ.Dispose();
            _headK.Dispose();
            _headV.Dispose();
            _cos.Dispose();
            _sin.Dispose();
            _context.Dispose();
            _projected.Dispose();
            _gateUp.Dispose();
            _g.Dispose();
        }
    }

    /// <summary>One pass; it holds the layers' lock from <see cref="Begin"/> to its disposal.</summary>
    private sealed class Pass : IDecoderPass
    {
        private readonly DeviceDecoderLayers _d;
        private readonly int _rows;
        private readonly ArrayView<float> _x, _normed, _qkv, _headQ, _headK, _headV, _cos, _sin, _context, _projected, _gateUp, _g;
        private readonly bool _interleaved;
        private bool _residual, _disposed;

        public Pass(DeviceDecoderLayers d, int[] tokens, int position, RotaryEmbedding rope)
        {
            _d = d;
            _rows = tokens.Length;
            int rows = Math.Max(1, tokens.Length), queryWidth = d._heads * d._headDim, kvWidth = d._kvHeads * d._headDim, half = d._headDim / 2;
            _x = d._x.Reserve((long)rows * d._hidden);
            _normed = d._normed.Reserve((long)rows * d._hidden);
            _qkv = d._qkv.Reserve((long)rows * (queryWidth + 2 * kvWidth));
            _headQ = d._headQ.Reserve((long)rows * queryWidth);
            _headK = d._headK.Reserve((long)rows * kvWidth);
            _headV = d._headV.Reserve((long)rows * kvWidth);
            _context = d._context.Reserve((long)rows * queryWidth);
            _projected = d._projected.Reserve((long)rows * d._hidden);
            _gateUp = d._gateUp.Reserve(2L * rows * d._intermediate);
            _g = d._g.Reserve((long)rows * d._intermediate);
            _interleaved = rope.Pairing == RotaryPairing.Interleaved;
            // Every layer encodes the same positions: their angles go up once per pass.
            var cos = new float[(long)_rows * half];
            var sin = new float[(long)_rows * half];
            for (int r = 0; r < _rows; r++) rope.Angles(position + (long)r, cos.AsSpan(r * half, half), sin.AsSpan(r * half, half));
            _cos = d._cos.Upload(cos);
            _sin = d._sin.Upload(sin);
            Attention = d._attention.OnDeviceOperands(_headQ, _context);
            if (_rows > 0) d._gather(_rows * d._hidden, d._hidden, d._ids.Upload(tokens), d._embeddings, _x);
        }

        public IAttentionBackend Attention { get; }

        public (KvTensor Keys, KvTensor Values) Project(int layer, KvPrecision precision)
        {
            if (_rows > 0)
            {
                var l = _d._layers[layer];
                Norm(l.InputNorm);
                _d._matMul.Apply(_rows, _normed, l.QueryKeyValue, _qkv);
                var args = new HeadArgs
                {
                    Rows = _rows, Heads = _d._heads, KvHeads = _d._kvHeads, HeadDim = _d._headDim, Epsilon = _d._epsilon,
                    QueryNorm = l.QueryNorm is null ? 0 : 1, KeyNorm = l.KeyNorm is null ? 0 : 1, Interleaved = _interleaved ? 1 : 0,
                };
                _d._prepareHeads(_rows * (_d._heads + 2 * _d._kvHeads), args, _qkv, l.QueryNorm ?? _d._noNorm, l.KeyNorm ?? _d._noNorm,
                    _cos, _sin, _headQ, _headK, _headV);
            }
            return (_d._attention.TakeKeyValues(_headK, _d._kvHeads, _rows, _d._headDim, precision),
                _d._attention.TakeKeyValues(_headV, _d._kvHeads, _rows, _d._headDim, precision));
        }

        public void Complete(int layer)
        {
            if (_rows == 0) return;
            var l = _d._layers[layer];
            _d._matMul.Apply(_rows, _context, l.Output, _projected);
            _residual = true;
            Norm(l.PostAttentionNorm);
            _d._matMul.Apply(_rows, _normed, l.GateUp, _gateUp);
            _d._silu(_rows * _d._intermediate, _d._intermediate, _gateUp, _g);
            _d._matMul.Apply(_rows, _g, l.Down, _projected);
            _residual = true;
        }

        public void Final(float[] hidden)
        {
            if (_rows == 0) return;
            Norm(_d._finalNorm);
            _d._accelerator.Synchronize();
            HostCopy.ToHost(_normed, hidden.AsSpan(0, checked(_rows * _d._hidden)));
        }

        // x += the pending residual (the last product's output), then normed = RMSNorm(x)·weight.
        private void Norm(ArrayView<float> weight)
        {
            _d._norm(new KernelConfig(_rows, GroupSum.Threads), new NormArgs { Width = _d._hidden, Residual = _residual ? 1 : 0, Epsilon = _d._epsilon },
                _x, _projected, weight, _normed);
            _residual = false;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _d._gate.Exit();
        }
    }
}
