using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Search.Models.Bert;

namespace Search.Models.Onnx;

/// <summary>
/// A BERT-family encoder exported to ONNX (inputs input_ids, attention_mask, token_type_ids; output
/// last_hidden_state) run by ONNX Runtime. A batch is padded to its longest sequence, so callers batch texts of
/// similar length.
/// </summary>
public sealed class OnnxSequenceEncoder : ISequenceEncoder
{
    private readonly InferenceSession _session;
    private readonly string _output;
    private readonly bool _typeIds;

    private OnnxSequenceEncoder(InferenceSession session, string runtime, int hiddenSize, int maxPositions)
    {
        _session = session;
        Runtime = runtime;
        HiddenSize = hiddenSize;
        MaxPositions = maxPositions;
        _output = session.OutputNames.Contains("last_hidden_state") ? "last_hidden_state" : session.OutputNames[0];
        _typeIds = session.InputNames.Contains("token_type_ids");
    }

    /// <summary>
    /// A session over the model's bytes on the CPU with <paramref name="threads"/> intra-op threads (0: ONNX Runtime's
    /// default). <paramref name="precision"/> names the weights ("fp32", "int8") in <see cref="Runtime"/>.
    /// </summary>
    public static OnnxSequenceEncoder Create(byte[] model, int hiddenSize, int maxPositions, string precision, int threads = 0)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
        var session = new InferenceSession(model, options);
        return new OnnxSequenceEncoder(session, $"onnxruntime-{precision}-cpu", hiddenSize, maxPositions);
    }

    /// <inheritdoc />
    public string Runtime { get; }

    /// <inheritdoc />
    public int HiddenSize { get; }

    /// <inheritdoc />
    public int MaxPositions { get; }

    /// <inheritdoc />
    public BertOutput Encode(IReadOnlyList<int[]> sequences)
    {
        int batch = sequences.Count, width = 0;
        foreach (var s in sequences) width = Math.Max(width, s.Length);
        if (batch == 0 || width == 0) return new BertOutput([], batch, width, HiddenSize, new int[batch]);
        if (width > MaxPositions) throw new ArgumentException($"a sequence of {width} tokens exceeds the model's {MaxPositions} positions");
        var ids = new DenseTensor<long>([batch, width]);
        var mask = new DenseTensor<long>([batch, width]);
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            var s = sequences[b];
            lengths[b] = s.Length;
            for (int t = 0; t < s.Length; t++)
            {
                ids[b, t] = s[t];
                mask[b, t] = 1;
            }
        }
        var inputs = new List<NamedOnnxValue>(3)
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
        };
        if (_typeIds) inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>([batch, width])));
        using var results = _session.Run(inputs, [_output]);
        var hidden = results[0].AsTensor<float>();
        var output = new float[batch * width * HiddenSize];
        if (hidden is DenseTensor<float> dense) dense.Buffer.Span.CopyTo(output);
        else
        {
            int i = 0;
            foreach (float v in hidden) output[i++] = v;
        }
        // Padding positions stay out of pooling (it reads each sequence's own length), so their states need no clearing.
        return new BertOutput(output, batch, width, HiddenSize, lengths);
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
