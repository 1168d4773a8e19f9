using Search.Models;
using Search.Models.Bert;
using Search.Models.Onnx;
using Search.Models.Tokenization;

namespace Search.Indexing.Embeddings;

/// <summary>
/// An encoder given as an ONNX file (a BERT-family export: input_ids, attention_mask, token_type_ids →
/// last_hidden_state) with its vocab.txt beside it, run by ONNX Runtime; mean pooling and L2 normalisation unless a
/// sentence-transformers 1_Pooling/config.json beside it says CLS.
/// </summary>
public static class OnnxFileEncoder
{
    /// <summary>Loads the file, named after it.</summary>
    public static TransformerEmbeddingGenerator Load(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        string vocab = Path.Combine(directory, "vocab.txt");
        if (!File.Exists(vocab)) throw new FileNotFoundException($"{path}: an ONNX encoder needs its vocab.txt beside it", vocab);
        var model = OnnxModel.Parse(File.ReadAllBytes(path));
        int hidden = model.Initializers.TryGetValue("embeddings.word_embeddings.weight", out var words) && words.Dims.Length == 2
            ? (int)words.Dims[1] : throw new InvalidDataException($"{path}: no embeddings.word_embeddings.weight to read the model's width from");
        int positions = model.Initializers.TryGetValue("embeddings.position_embeddings.weight", out var p) && p.Dims.Length == 2 ? (int)p.Dims[0] : 512;
        string pooling = Path.Combine(directory, "1_Pooling", "config.json");
        bool cls = File.Exists(pooling) && File.ReadAllText(pooling).Contains("\"pooling_mode_cls_token\": true", StringComparison.Ordinal);
        var description = new EncoderDescription(TransformerEmbeddingGenerator.ModelName(path), cls ? Pooling.Cls : Pooling.Mean, true, "", positions);
        var encoder = new TextEncoder(BertVocabulary.Tokenizer(File.ReadAllText(vocab), lowercase: true, positions),
            OnnxSequenceEncoder.Create(model.Bytes.ToArray(), hidden, positions, "fp32"), description.Pooling, description.Normalize);
        return new TransformerEmbeddingGenerator(encoder, description);
    }
}
