using ILGPU;
using ILGPU.Runtime;
using Search.Models.Bert;

namespace Search.Models.Ilgpu;

/// <summary>A BERT encoder's tensors in device memory, copied once: each layer's query, key and value projections
/// joined into one [3·hidden][hidden] product.</summary>
internal sealed class DeviceBertWeights : IDisposable
{
    /// <summary>One layer's tensors on the device.</summary>
    public sealed record Layer(
        DeviceLinear QueryKeyValue, DeviceLinear AttentionOutput, ArrayView<float> AttentionNorm, ArrayView<float> AttentionNormBias,
        DeviceLinear Intermediate, DeviceLinear Output, ArrayView<float> OutputNorm, ArrayView<float> OutputNormBias);

    private readonly DeviceTensors _tensors;

    public DeviceBertWeights(Accelerator accelerator, BertWeights weights)
    {
        _tensors = new DeviceTensors(accelerator);
        try
        {
            WordEmbeddings = _tensors.Copy(weights.WordEmbeddings);
            PositionEmbeddings = _tensors.Copy(weights.PositionEmbeddings);
            TokenTypeEmbeddings = _tensors.Copy(weights.TokenTypeEmbeddings);
            EmbeddingNorm = _tensors.Copy(weights.EmbeddingNorm);
            EmbeddingNormBias = _tensors.Copy(weights.EmbeddingNormBias);
            var layers = new List<Layer>(weights.Layers.Count);
            foreach (var l in weights.Layers)
                layers.Add(new Layer(_tensors.Linear(l.Query, l.Key, l.Value), _tensors.Linear(l.AttentionOutput), _tensors.Copy(l.AttentionNorm),
                    _tensors.Copy(l.AttentionNormBias), _tensors.Linear(l.Intermediate), _tensors.Linear(l.Output), _tensors.Copy(l.OutputNorm), _tensors.Copy(l.OutputNormBias)));
            Layers = layers;
        }
        catch
        {
            _tensors.Dispose();
            throw;
        }
    }

    public ArrayView<float> WordEmbeddings { get; }

    public ArrayView<float> PositionEmbeddings { get; }

    public ArrayView<float> TokenTypeEmbeddings { get; }

    public ArrayView<float> EmbeddingNorm { get; }

    public ArrayView<float> EmbeddingNormBias { get; }

    public IReadOnlyList<Layer> Layers { get; }

    public void Dispose() => _tensors.Dispose();
}
