using Search.Models.Bert;

namespace Search.Models;

/// <summary>
/// A transformer encoder's forward pass from token ids to last hidden states, whatever runs it: the project's own
/// kernels, or ONNX Runtime (fp32 or int8, CPU or CUDA). Pooling and normalisation happen above it.
/// </summary>
public interface ISequenceEncoder : IDisposable
{
    /// <summary>What runs the pass and at which precision, e.g. "models-fp32", "onnxruntime-int8-cpu".</summary>
    string Runtime { get; }

    /// <summary>Width of a hidden state.</summary>
    int HiddenSize { get; }

    /// <summary>The longest sequence the model has positions for.</summary>
    int MaxPositions { get; }

    /// <summary>Encodes token-id sequences (already with their special tokens).</summary>
    BertOutput Encode(IReadOnlyList<int[]> sequences);
}
