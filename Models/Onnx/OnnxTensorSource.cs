using Search.Models.Tensors;

namespace Search.Models.Onnx;

/// <summary>
/// The tensors of an ONNX transformer by their Hugging Face names. A PyTorch export leaves a linear layer's weight as
/// an unnamed MatMul input stored transposed ([in, out]), followed by an Add of its named bias: the weight is found by
/// following the MatMul to that Add and takes the bias's name with ".weight", transposed back to [out, in].
/// </summary>
public sealed class OnnxTensorSource : ITensorSource
{
    private readonly OnnxModel _model;
    // Hugging Face weight name → the MatMul initializer that holds it transposed.
    private readonly Dictionary<string, OnnxTensor> _transposed = new(StringComparer.Ordinal);

    /// <summary>Maps the model's MatMul weights to their layers' names.</summary>
    public OnnxTensorSource(OnnxModel model)
    {
        _model = model;
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var node in model.Nodes)
            foreach (string input in node.Inputs)
            {
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                list.Add(node);
            }
        foreach (var node in model.Nodes)
        {
            if (node.OpType != "MatMul" || node.Inputs.Count != 2 || !model.Initializers.TryGetValue(node.Inputs[1], out var weight)) continue;
            if (!consumers.TryGetValue(node.Outputs[0], out var next) || next.Count != 1 || next[0].OpType != "Add") continue;
            foreach (string input in next[0].Inputs)
                if (input.EndsWith(".bias", StringComparison.Ordinal) && model.Initializers.ContainsKey(input))
                    _transposed[input[..^".bias".Length] + ".weight"] = weight;
        }
    }

    /// <summary>Linear layers found (each a MatMul followed by its bias).</summary>
    public int LinearLayers => _transposed.Count;

    /// <inheritdoc />
    public bool Contains(string name) => _model.Initializers.ContainsKey(name) || _transposed.ContainsKey(name);

    /// <inheritdoc />
    public float[] Read(string name, params int[] shape)
    {
        if (_transposed.TryGetValue(name, out var transposed))
        {
            if (transposed.Dims.Length != 2) throw new InvalidDataException($"ONNX weight {transposed.Name} for {name} is not a matrix");
            int rows = (int)transposed.Dims[0], cols = (int)transposed.Dims[1]; // [in, out]
            Check(name, [cols, rows], shape);
            var stored = transposed.ToFloats();
            var result = new float[stored.Length];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) result[c * rows + r] = stored[r * cols + c];
            return result;
        }
        if (!_model.Initializers.TryGetValue(name, out var tensor)) throw new InvalidDataException($"the ONNX model has no tensor '{name}'");
        Check(name, Array.ConvertAll(tensor.Dims, d => (int)d), shape);
        return tensor.ToFloats();
    }

    private static void Check(string name, int[] actual, int[] expected)
    {
        if (expected.Length > 0 && !actual.AsSpan().SequenceEqual(expected))
            throw new InvalidDataException($"tensor '{name}' has shape [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]");
    }
}
