using System.Text.Json;
using Search.Models.Tokenization;

namespace Search.Models.Tests;

public class TokenizerTests
{
    private static readonly string[] Strings = [.. FixtureData.Tokens.GetProperty("strings").EnumerateArray().Select(s => s.GetString()!)];

    [Fact]
    public void WordPiece_matches_the_reference_ids_for_every_test_string()
    {
        Tokenizer tokenizer = TokenizerJson.Load(Path.Combine(FixtureData.BertDirectory, "tokenizer.json"));
        Assert.IsType<WordPieceTokenizer>(tokenizer);
        int[][] expected = FixtureData.IntLists(FixtureData.Tokens.GetProperty("bert"));
        for (int i = 0; i < Strings.Length; i++) Assert.True(expected[i].SequenceEqual(tokenizer.Encode(Strings[i])), $"string {i}: {Strings[i]}");
    }

    [Fact]
    public void Byte_level_BPE_matches_the_reference_ids_for_every_test_string()
    {
        Tokenizer tokenizer = TokenizerJson.Load(Path.Combine(FixtureData.LlamaDirectory, "tokenizer.json"));
        Assert.IsType<BpeTokenizer>(tokenizer);
        int[][] expected = FixtureData.IntLists(FixtureData.Tokens.GetProperty("llama"));
        for (int i = 0; i < Strings.Length; i++) Assert.True(expected[i].SequenceEqual(tokenizer.Encode(Strings[i])), $"string {i}: {Strings[i]}");
    }

    /// <summary>
    /// tokenizer.json files in the layouts Mistral-v0.3 (Metaspace, byte fallback), Llama-2 (Prepend and Replace
    /// normalizers) and Qwen2 (its split regex over byte-level BPE) ship, with the ids Hugging Face tokenizers gives
    /// (tools/make_tokenizer_fixtures.py, run where that library is installed).
    /// </summary>
    [Theory]
    [InlineData("metaspace")]
    [InlineData("legacy")]
    [InlineData("qwen2")]
    public void BPE_layouts_of_real_checkpoints_match_hugging_face_tokenizers(string layout)
    {
        string directory = Path.Combine(FixtureData.Root, "tokenizers");
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "expected.json")));
        string[] strings = [.. expected.RootElement.GetProperty("strings").EnumerateArray().Select(s => s.GetString()!)];
        Tokenizer tokenizer = TokenizerJson.Load(Path.Combine(directory, layout + ".json"));
        var ids = expected.RootElement.GetProperty("ids").GetProperty(layout);
        int[][] withSpecial = FixtureData.IntLists(ids.GetProperty("with_special"));
        int[][] withoutSpecial = FixtureData.IntLists(ids.GetProperty("without_special"));
        for (int i = 0; i < strings.Length; i++)
        {
            int[] actual = tokenizer.Encode(strings[i]);
            Assert.True(withSpecial[i].SequenceEqual(actual), $"{layout} string {i} {JsonSerializer.Serialize(strings[i])}: expected [{string.Join(' ', withSpecial[i])}], got [{string.Join(' ', actual)}]");
            actual = tokenizer.Encode(strings[i], addSpecialTokens: false);
            Assert.True(withoutSpecial[i].SequenceEqual(actual), $"{layout} string {i} without specials: expected [{string.Join(' ', withoutSpecial[i])}], got [{string.Join(' ', actual)}]");
        }
    }

    [Fact]
    public void WordPiece_special_tokens_and_truncation_keep_the_template()
    {
        Tokenizer tokenizer = TokenizerJson.Load(Path.Combine(FixtureData.BertDirectory, "tokenizer.json"));
        int cls = tokenizer.TokenToId("[CLS]")!.Value, sep = tokenizer.TokenToId("[SEP]")!.Value;
        int[] full = tokenizer.Encode(Strings[0]);
        int[] cut = tokenizer.Encode(Strings[0], maxLength: 5);
        Assert.Equal([cls, full[1], full[2], full[3], sep], cut);
        Assert.Equal(full[1..^1], tokenizer.Encode(Strings[0], addSpecialTokens: false));
        Assert.Equal(tokenizer.TokenToId("[PAD]"), tokenizer.PadId);
    }

    [Fact]
    public void Byte_level_BPE_round_trips_bytes_through_the_alphabet()
    {
        Tokenizer tokenizer = TokenizerJson.Load(Path.Combine(FixtureData.LlamaDirectory, "tokenizer.json"));
        int[] ids = tokenizer.Encode("déjà 😀", addSpecialTokens: false);
        var inverse = ByteLevelAlphabet.ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);
        byte[] bytes = [.. ids.SelectMany(id => tokenizer.IdToToken(id)!).Select(c => inverse[c])];
        Assert.Equal("déjà 😀", System.Text.Encoding.UTF8.GetString(bytes));
        Assert.Equal(3, tokenizer.Encode("a b c d", maxLength: 3).Length);
    }

    [Fact]
    public void Accent_folding_decomposes_like_NFD_without_ICU()
    {
        var normalizer = new BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true);
        Assert.Equal("cafe resume naive a\u1100\u1161\u11a8", normalizer.Normalize("Café RÉSUMÉ naïve\u0007 \u00c5\uac01"));
    }
}
