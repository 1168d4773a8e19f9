using System.Runtime.InteropServices;

namespace Search.Models.Onnx;

/// <summary>
/// Rewrites an ONNX model for int8 inference on the CPU: every MatMul by a constant float matrix becomes ONNX
/// Runtime's DynamicQuantizeMatMul, with the matrix stored as int8 (symmetric, one scale per output column) and the
/// activations quantized to uint8 at run time, so the products run as integer dot products (VNNI where the CPU has
/// it). Everything else, and every other initializer, is copied unchanged.
/// </summary>
public static class OnnxQuantizer
{
    private const int OpsetDomain = 1, OpsetVersion = 2;
    private const int Int8 = 3;
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>The int8 model of <paramref name="model"/>, and how many matrices it quantized.</summary>
    public static (byte[] Model, int Quantized) Quantize(OnnxModel model)
    {
        // The matrices to quantize, decided before anything is written (initializers may precede nodes in the bytes);
        // a matrix something else also reads in float keeps its float copy.
        var matrices = new HashSet<string>(StringComparer.Ordinal);
        var otherUses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in model.Nodes)
        {
            if (Quantizable(model, node)) matrices.Add(node.Inputs[1]);
            else
                foreach (string input in node.Inputs) otherUses.Add(input);
        }
        var graph = new ProtoWriter();
        int quantized = 0;
        foreach (var field in ProtoReader.Fields(GraphOf(model)))
        {
            switch (field.Number)
            {
                case OnnxModel.GraphNode:
                {
                    var node = OnnxModel.Node(field);
                    if (!Quantizable(model, node))
                    {
                        graph.Raw(field);
                        break;
                    }
                    string name = node.Inputs[1];
                    var rewritten = new ProtoWriter();
                    rewritten.Text(OnnxModel.NodeInput, node.Inputs[0]);
                    rewritten.Text(OnnxModel.NodeInput, name + ".int8");
                    rewritten.Text(OnnxModel.NodeInput, name + ".scale");
                    rewritten.Text(OnnxModel.NodeOutput, node.Outputs[0]);
                    rewritten.Text(OnnxModel.NodeName, (node.Name.Length > 0 ? node.Name : node.Outputs[0]) + "_int8");
                    rewritten.Text(OnnxModel.NodeOpType, "DynamicQuantizeMatMul");
                    rewritten.Text(OnnxModel.NodeDomain, MicrosoftDomain);
                    graph.Bytes(OnnxModel.GraphNode, rewritten.ToArray());
                    quantized++;
                    break;
                }
                case OnnxModel.GraphInitializer:
                {
                    var tensor = OnnxModel.Tensor(field.Bytes);
                    if (!matrices.Contains(tensor.Name) || otherUses.Contains(tensor.Name)) graph.Raw(field);
                    break;
                }
                default:
                    graph.Raw(field);
                    break;
            }
        }
        foreach (string name in matrices) WriteQuantized(graph, model.Initializers[name], name + ".int8", name + ".scale");
        var result = new ProtoWriter();
        bool hasMicrosoft = false;
        foreach (var field in ProtoReader.Fields(model.Bytes))
        {
            if (field.Number == OnnxModel.ModelGraph) result.Bytes(OnnxModel.ModelGraph, graph.ToArray());
            else
            {
                if (field.Number == OnnxModel.ModelOpsetImport)
                    foreach (var f in ProtoReader.Fields(field.Bytes))
                        if (f.Number == OpsetDomain && f.Text == MicrosoftDomain) hasMicrosoft = true;
                result.Raw(field);
            }
        }
        if (!hasMicrosoft)
        {
            var opset = new ProtoWriter();
            opset.Text(OpsetDomain, MicrosoftDomain);
            opset.Varint(OpsetVersion, 1);
            result.Bytes(OnnxModel.ModelOpsetImport, opset.ToArray());
        }
        return (result.ToArray(), quantized);
    }

    private static bool Quantizable(OnnxModel model, OnnxNode node) =>
        node.OpType == "MatMul" && node.Domain.Length == 0 && node.Inputs.Count == 2
        && model.Initializers.TryGetValue(node.Inputs[1], out var weight) && weight.DataType == OnnxTensor.Float && weight.Dims.Length == 2;

    private static ReadOnlyMemory<byte> GraphOf(OnnxModel model)
    {
        foreach (var f in ProtoReader.Fields(model.Bytes))
            if (f.Number == OnnxModel.ModelGraph) return f.Bytes;
        throw new InvalidDataException("not an ONNX model: no graph");
    }

    /// <summary>Writes the int8 matrix [K, N] and its per-column scales [N] as initializers.</summary>
    private static void WriteQuantized(ProtoWriter graph, OnnxTensor weight, string valuesName, string scaleName)
    {
        int k = (int)weight.Dims[0], n = (int)weight.Dims[1];
        float[] w = weight.ToFloats();
        var scales = new float[n];
        for (int r = 0; r < k; r++)
            for (int c = 0; c < n; c++) scales[c] = Math.Max(scales[c], Math.Abs(w[r * n + c]));
        for (int c = 0; c < n; c++) scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        var values = new sbyte[k * n];
        for (int r = 0; r < k; r++)
            for (int c = 0; c < n; c++) values[r * n + c] = (sbyte)Math.Clamp(MathF.Round(w[r * n + c] / scales[c]), -127, 127);

        var tensor = new ProtoWriter();
        tensor.PackedVarints(OnnxModel.TensorDims, [k, n]);
        tensor.Varint(OnnxModel.TensorDataType, Int8);
        tensor.Text(OnnxModel.TensorName, valuesName);
        tensor.Bytes(OnnxModel.TensorRawData, MemoryMarshal.AsBytes(values.AsSpan()));
        graph.Bytes(OnnxModel.GraphInitializer, tensor.ToArray());

        var scale = new ProtoWriter();
        scale.PackedVarints(OnnxModel.TensorDims, [n]);
        scale.Varint(OnnxModel.TensorDataType, OnnxTensor.Float);
        scale.Text(OnnxModel.TensorName, scaleName);
        scale.Bytes(OnnxModel.TensorRawData, MemoryMarshal.AsBytes(scales.AsSpan()));
        graph.Bytes(OnnxModel.GraphInitializer, scale.ToArray());
    }
}
