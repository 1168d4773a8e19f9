using ILGPU;
using ILGPU.Runtime;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;
using Search.Models.Configuration;
using Search.Models.Llama;

namespace Search.Models.Ilgpu;

/// <summary>
/// A Llama-family decoder's dense layers on an ILGPU accelerator: weights copied once (query, key and value stacked into
/// one product, gate and up into another), the hidden state kept on the device across layers; per layer the queries,
/// keys and values come down for attention (and for the passage-KV store) and the attention output goes back up.
/// </summary>
public sealed class DeviceDecoderLayers : IDecoderLayers
{
    private readonly Accelerator _accelerator;
    private readonly DeviceTensors _tensors;
    private readonly DeviceMatMul _matMul;
    private readonly Layer[] _layers;
    private readonly ArrayView<float> _embeddings, _finalNorm;
    private readonly int _hidden, _queryWidth, _kvWidth, _intermediate;
    private readonly float _epsilon;
    private readonly Lock _gate = new();
    private readonly DeviceArray<int> _ids;
    private readonly DeviceArray<float> _x, _normed, _qkv, _context, _projected, _gateUp, _g;
    private readonly Action<Index1D, int, ArrayView<int>, ArrayView<float>, ArrayView<float>> _gather;
    private readonly Action<KernelConfig, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _norm;
    private readonly Action<Index1D, int, ArrayView<float>, ArrayView<float>> _silu;

    private sealed record Layer(ArrayView<float> InputNorm, DeviceLinear QueryKeyValue, DeviceLinear Output, ArrayView<float> PostAttentionNorm, DeviceLinear GateUp, DeviceLinear Down);

    /// <summary>The layers of <paramref name="weights"/> on <paramref name="accelerator"/>, which the caller keeps and disposes.</summary>
    public DeviceDecoderLayers(Accelerator accelerator, ModelConfig config, LlamaWeights weights)
    {
        _accelerator = accelerator;
        accelerator.Bind(); // loading kernels and copying weights need the context current on this thread
        // Kernels first: a device that cannot compile them fails before any weight is copied.
        _matMul = new DeviceMatMul(accelerator);
        _gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<int>, ArrayView<float>, ArrayView<float>>(DecoderKernels.Gather);
        _norm = accelerator.LoadStreamKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DecoderKernels.AddRmsNorm);
        _silu = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<float>, ArrayView<float>>(DecoderKernels.SiluGate);
        _hidden = config.HiddenSize;
        _queryWidth = config.NumAttentionHeads * config.HeadDim;
        _kvWidth = config.KeyValueHeads * config.HeadDim;
        _intermediate = config.IntermediateSize;
        _epsilon = (float)config.RmsNormEps;
        _tensors = new DeviceTensors(accelerator);
        try
        {
            _embeddings = _tensors.Copy(weights.Embeddings);
            _finalNorm = _tensors.Copy(weights.FinalNorm);
            _layers = new Layer[weights.Layers.Count];
            for (int l = 0; l < _layers.Length; l++)
            {
                var w = weights.Layers[l];
                _layers[l] = new Layer(_tensors.Copy(w.InputNorm), _tensors.Linear(w.Query, w.Key, w.Value), _tensors.Linear(w.Output),
                    _tensors.Copy(w.PostAttentionNorm), _tensors.Linear(w.Gate, w.Up), _tensors.Linear(w.Down));
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
        _context = new DeviceArray<float>(accelerator);
        _projected = new DeviceArray<float>(accelerator);
        _gateUp = new DeviceArray<float>(accelerator);
        _g = new DeviceArray<float>(accelerator);
    }

    /// <summary>
    /// The dense layers' place for a decoder whose attention runs on <paramref name="attention"/>: the same ILGPU device
    /// when it is one whose groups hold the matrix product's threads (every GPU; a simulator made for it), else null
    /// (the CPU kernels).
    /// </summary>
    public static Func<ModelConfig, LlamaWeights, IDecoderLayers>? Beside(IAttentionBackend? attention) =>
        attention is IlgpuAttentionBackend device && device.Accelerator.MaxNumThreadsPerGroup >= MatMulKernel.Threads
            ? (config, weights) => new DeviceDecoderLayers(device.Accelerator, config, weights)
            : null;

    /// <inheritdoc />
    public string Name => IlgpuDevice.NameOf(_accelerator);

    /// <inheritdoc />
    public IDecoderPass Begin(int[] tokens)
    {
        _gate.Enter();
        try
        {
            // A CUDA context is current only on the thread that made it; passes arrive on any pool thread.
            _accelerator.Bind();
            return new Pass(this, tokens);
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
        private readonly ArrayView<float> _x, _normed, _qkv, _context, _projected, _gateUp, _g;
        private readonly float[] _qkvHost;
        private bool _residual, _disposed;

        public Pass(DeviceDecoderLayers d, int[] tokens)
        {
            _d = d;
            _rows = tokens.Length;
            int rows = Math.Max(1, tokens.Length), qkvWidth = d._queryWidth + 2 * d._kvWidth;
            _x = d._x.Reserve((long)rows * d._hidden);
            _normed = d._normed.Reserve((long)rows * d._hidden);
            _qkv = d._qkv.Reserve((long)rows * qkvWidth);
            _context = d._context.Reserve((long)rows * d._queryWidth);
            _projected = d._projected.Reserve((long)rows * d._hidden);
            _gateUp = d._gateUp.Reserve(2L * rows * d._intermediate);
            _g = d._g.Reserve((long)rows * d._intermediate);
            _qkvHost = new float[(long)tokens.Length * qkvWidth];
            if (_rows > 0) d._gather(_rows * d._hidden, d._hidden, d._ids.Upload(tokens), d._embeddings, _x);
        }

        public void Project(int layer, float[] query, float[] key, float[] value)
        {
            if (_rows == 0) return;
            var l = _d._layers[layer];
            Norm(l.InputNorm);
            _d._matMul.Apply(_rows, _normed, l.QueryKeyValue, _qkv);
            _d._accelerator.Synchronize();
            HostCopy.ToHost(_qkv, _qkvHost.AsSpan());
            // Rows of [q | k | v] to the three token-major arrays attention reads.
            int qw = _d._queryWidth, kw = _d._kvWidth, width = qw + 2 * kw;
            for (int r = 0; r < _rows; r++)
            {
                Array.Copy(_qkvHost, (long)r * width, query, (long)r * qw, qw);
                Array.Copy(_qkvHost, (long)r * width + qw, key, (long)r * kw, kw);
                Array.Copy(_qkvHost, (long)r * width + qw + kw, value, (long)r * kw, kw);
            }
        }

        public void Complete(int layer, float[] context)
        {
            if (_rows == 0) return;
            var l = _d._layers[layer];
            HostCopy.ToDevice(_context, context.AsSpan(0, checked(_rows * _d._queryWidth)));
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
