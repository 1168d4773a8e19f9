using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Search.Models.Onnx;

/// <summary>An initializer of an ONNX graph: a named constant tensor.</summary>
public sealed record OnnxTensor(string Name, long[] Dims, int DataType, ReadOnlyMemory<byte> RawData, float[]? FloatData)
{
    /// <summary>ONNX's element type of 32-bit floats.</summary>
    public const int Float = 1;

    /// <summary>Elements in the tensor.</summary>
    public long Count
    {
        get
        {
            long n = 1;
            foreach (long d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>The values of a float tensor, row-major.</summary>
    public float[] ToFloats()
    {
        if (DataType != Float) throw new InvalidDataException($"ONNX tensor {Name} has element type {DataType}, not float");
        if (FloatData is { } floats) return floats.Length == Count ? floats : throw new InvalidDataException($"ONNX tensor {Name}: {floats.Length} values for {Count} elements");
        if (RawData.Length != Count * sizeof(float)) throw new InvalidDataException($"ONNX tensor {Name}: {RawData.Length} bytes for {Count} floats");
        var result = new float[Count];
        if (BitConverter.IsLittleEndian) RawData.Span.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        else
            for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(RawData.Span[(i * 4)..]);
        return result;
    }
}

/// <summary>A node of an ONNX graph; <paramref name="Raw"/> is the node as it was read, to copy it unchanged.</summary>
public sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, ProtoField Raw);

/// <summary>
/// An ONNX model read from its bytes without an ONNX library: the graph's nodes in order, its initializers by name,
/// and its inputs and outputs. Enough to read a transformer's weights (and to rewrite a graph, see <see cref="OnnxQuantizer"/>).
/// </summary>
public sealed class OnnxModel
{
    // ModelProto, GraphProto, NodeProto, TensorProto and ValueInfoProto field numbers (onnx.proto).
    internal const int ModelGraph = 7, ModelOpsetImport = 8;
    internal const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    internal const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeDomain = 7;
    internal const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorName = 8, TensorRawData = 9;
    private const int ValueInfoName = 1;

    private OnnxModel(ReadOnlyMemory<byte> bytes, List<OnnxNode> nodes, Dictionary<string, OnnxTensor> initializers, List<string> inputs, List<string> outputs)
    {
        Bytes = bytes;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The model's bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The graph's nodes in order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>The graph's initializers by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>The graph's input names.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>The graph's output names.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Reads a model; <see cref="InvalidDataException"/> when it is not one.</summary>
    public static OnnxModel Parse(ReadOnlyMemory<byte> bytes)
    {
        ReadOnlyMemory<byte>? graph = null;
        foreach (var f in ProtoReader.Fields(bytes))
            if (f.Number == ModelGraph && f.Type == WireType.LengthDelimited) graph = f.Bytes;
        if (graph is not { } g) throw new InvalidDataException("not an ONNX model: no graph");
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        foreach (var f in ProtoReader.Fields(g))
        {
            switch (f.Number)
            {
                case GraphNode: nodes.Add(Node(f)); break;
                case GraphInitializer:
                    var t = Tensor(f.Bytes);
                    initializers[t.Name] = t;
                    break;
                case GraphInput: inputs.Add(ValueInfoNameOf(f.Bytes)); break;
                case GraphOutput: outputs.Add(ValueInfoNameOf(f.Bytes)); break;
            }
        }
        return new OnnxModel(bytes, nodes, initializers, inputs, outputs);
    }

    /// <summary>A NodeProto's name, operator, domain, inputs and outputs.</summary>
    internal static OnnxNode Node(ProtoField field)
    {
        string name = "", op = "", domain = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        foreach (var f in ProtoReader.Fields(field.Bytes))
        {
            switch (f.Number)
            {
                case NodeInput: inputs.Add(f.Text); break;
                case NodeOutput: outputs.Add(f.Text); break;
                case NodeName: name = f.Text; break;
                case NodeOpType: op = f.Text; break;
                case NodeDomain: domain = f.Text; break;
            }
        }
        return new OnnxNode(name, op, domain, inputs, outputs, field);
    }

    internal static OnnxTensor Tensor(ReadOnlyMemory<byte> bytes)
    {
        var dims = new List<long>();
        int type = 0;
        string name = "";
        ReadOnlyMemory<byte> raw = default;
        List<float>? floats = null;
        foreach (var f in ProtoReader.Fields(bytes))
        {
            switch (f.Number)
            {
                case TensorDims: dims.AddRange(ProtoReader.PackedVarints(f)); break;
                case TensorDataType: type = (int)f.Value; break;
                case TensorName: name = f.Text; break;
                case TensorRawData: raw = f.Bytes; break;
                case TensorFloatData:
                    floats ??= [];
                    if (f.Type == WireType.Fixed32) floats.Add(BitConverter.Int32BitsToSingle((int)f.Value));
                    else
                        for (int i = 0; i + 4 <= f.Bytes.Length; i += 4) floats.Add(BinaryPrimitives.ReadSingleLittleEndian(f.Bytes.Span[i..]));
                    break;
            }
        }
        return new OnnxTensor(name, [.. dims], type, raw, floats?.ToArray());
    }

    private static string ValueInfoNameOf(ReadOnlyMemory<byte> bytes)
    {
        foreach (var f in ProtoReader.Fields(bytes))
            if (f.Number == ValueInfoName) return f.Text;
        return "";
    }
}
