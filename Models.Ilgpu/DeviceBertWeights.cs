using ILGPU;
using ILGPU.Runtime;
using Search.Models.Bert;
using Search.Models.Kernels;

namespace Search.Models.Ilgpu;

/// <summary>A BERT encoder's tensors in device memory, copied once: each layer's query, key and value projections
/// joined into one [3·hidden][hidden] product, every Linear in Hugging Face's row-major [out][in] layout.</summary>
internal sealed class DeviceBertWeights : IDisposable
{
    /// <summary>One layer's tensors on the device.</summary>
    public sealed record Layer(
        Linear QueryKeyValue, Linear AttentionOutput, ArrayView<float> AttentionNorm, ArrayView<float> AttentionNormBias,
        Linear Intermediate, Linear Output, ArrayView<float> OutputNorm, ArrayView<float> OutputNormBias);

    /// <summary>A Linear on the device: weight [Out][In] and bias [Out].</summary>
    public sealed record Linear(ArrayView<float> Weight, ArrayView<float> Bias, int In, int Out);

    private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> _buffers = [];

    public DeviceBertWeights(Accelerator accelerator, BertWeights weights)
    {
        ArrayView<float> copy(float[] data)
        {
            var buffer = accelerator.Allocate1D(data);
            _buffers.Add(buffer);
            return buffer.View;
        }
        Linear linear(params LinearWeight[] parts)
        {
            // Parts with the same input are stacked along the output: one product computes them all.
            int inDim = parts[0].In, outDim = 0;
            foreach (var part in parts) outDim += part.Out;
            var weight = new float[(long)outDim * inDim];
            var bias = new float[outDim];
            int row = 0;
            foreach (var part in parts)
            {
                var (w, b) = part.Unpack();
                w.CopyTo(weight, (long)row * inDim);
                b.CopyTo(bias, row);
                row += part.Out;
            }
            return new Linear(copy(weight), copy(bias), inDim, outDim);
        }
        try
        {
            WordEmbeddings = copy(weights.WordEmbeddings);
            PositionEmbeddings = copy(weights.PositionEmbeddings);
            TokenTypeEmbeddings = copy(weights.TokenTypeEmbeddings);
            EmbeddingNorm = copy(weights.EmbeddingNorm);
            EmbeddingNormBias = copy(weights.EmbeddingNormBias);
            var layers = new List<Layer>(weights.Layers.Count);
            foreach (var l in weights.Layers)
                layers.Add(new Layer(linear(l.Query, l.Key, l.Value), linear(l.AttentionOutput), copy(l.AttentionNorm), copy(l.AttentionNormBias),
                    linear(l.Intermediate), linear(l.Output), copy(l.OutputNorm), copy(l.OutputNormBias)));
            Layers = layers;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ArrayView<float> WordEmbeddings { get; }

    public ArrayView<float> PositionEmbeddings { get; }

    public ArrayView<float> TokenTypeEmbeddings { get; }

    public ArrayView<float> EmbeddingNorm { get; }

    public ArrayView<float> EmbeddingNormBias { get; }

    public IReadOnlyList<Layer> Layers { get; } = [];

    /// <summary>Bytes of device memory the tensors take.</summary>
    public long Bytes
    {
        get
        {
            long bytes = 0;
            foreach (var b in _buffers) bytes += b.LengthInBytes;
            return bytes;
        }
    }

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }
}
