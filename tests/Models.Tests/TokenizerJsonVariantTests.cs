using System.Text.Json;
using System.Text.Json.Nodes;
using Search.Models.Tokenization;

namespace Search.Models.Tests;

/// <summary>The other spellings real tokenizer.json files use (Qwen2/Llama 3 pre-tokenizer sequences, array merges,
/// BertProcessing) must load to the same tokenizer as the fixtures' spelling.</summary>
public class TokenizerJsonVariantTests
{
    private static readonly string[] Strings = [.. FixtureData.Tokens.GetProperty("strings").EnumerateArray().Select(s => s.GetString()!)];

    private static JsonNode Fixture(string directory) => JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "tokenizer.json")))!;

    private static Tokenizer Load(JsonNode node) => TokenizerJson.Parse(JsonDocument.Parse(node.ToJsonString()).RootElement);

    [Fact]
    public void Split_then_ByteLevel_with_array_merges_and_a_processor_sequence_encodes_like_ByteLevel_alone()
    {
        JsonNode json = Fixture(FixtureData.LlamaDirectory);
        json["pre_tokenizer"] = JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]}
            """);
        var merges = new JsonArray();
        foreach (JsonNode? m in json["model"]!["merges"]!.AsArray())
        {
            string[] parts = m!.GetValue<string>().Split(' ');
            merges.Add(new JsonArray(parts[0], parts[1]));
        }
        json["model"]!["merges"] = merges;
        json["post_processor"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(JsonNode.Parse("""{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}"""),
                json["post_processor"]!.DeepClone()),
        };
        json["normalizer"] = JsonNode.Parse("""{"type": "Sequence", "normalizers": [{"type": "NFC"}]}""");
        Tokenizer tokenizer = Load(json);
        int[][] expected = FixtureData.IntLists(FixtureData.Tokens.GetProperty("llama"));
        for (int i = 0; i < Strings.Length; i++) Assert.Equal(expected[i], tokenizer.Encode(Strings[i]));
    }

    [Fact]
    public void BertProcessing_gives_the_same_template_as_TemplateProcessing()
    {
        JsonNode json = Fixture(FixtureData.BertDirectory);
        json["post_processor"] = JsonNode.Parse("""{"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}""");
        json["truncation"] = JsonNode.Parse("""{"direction": "Right", "max_length": 6, "strategy": "LongestFirst", "stride": 0}""");
        Tokenizer tokenizer = Load(json);
        int[][] expected = FixtureData.IntLists(FixtureData.Tokens.GetProperty("bert"));
        Assert.Equal([.. expected[0][..5], expected[0][^1]], tokenizer.Encode(Strings[0]));
        Assert.Equal(expected[9], tokenizer.Encode(Strings[9]));
    }

    [Fact]
    public void Unsupported_models_and_pre_tokenizers_are_named()
    {
        JsonNode json = Fixture(FixtureData.LlamaDirectory);
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "Punctuation", "behavior": "Isolated"}""");
        Assert.Contains("Punctuation", Assert.Throws<NotSupportedException>(() => Load(json)).Message);
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"}""");
        Assert.Contains("sometimes", Assert.Throws<NotSupportedException>(() => Load(json)).Message);
        JsonNode bert = Fixture(FixtureData.BertDirectory);
        bert["pre_tokenizer"] = JsonNode.Parse("""{"type": "Whitespace"}""");
        Assert.Contains("Whitespace", Assert.Throws<NotSupportedException>(() => Load(bert)).Message);
        json["model"]!["type"] = "Unigram";
        Assert.Contains("Unigram", Assert.Throws<NotSupportedException>(() => Load(json)).Message);
    }
}
