using Search.Models.Bert;
using Search.Models.Llama;

namespace Search.Models.Tests;

public class ModelDirectoryTests
{
    private static readonly string[] Strings = [.. FixtureData.Tokens.GetProperty("strings").EnumerateArray().Select(s => s.GetString()!)];

    [Fact]
    public void An_encoder_directory_embeds_text_like_the_reference_pipeline()
    {
        TextEncoder encoder = ModelDirectory.LoadEncoder(FixtureData.BertDirectory);
        Assert.Equal(Pooling.Mean, encoder.Pooling);
        int[] batch = FixtureData.Ints(FixtureData.Tokens.GetProperty("bert_batch"));
        float[] embeddings = [.. encoder.Embed([.. batch.Select(i => Strings[i])]).SelectMany(e => e)];
        Assert.True(FixtureData.MaxAbsDiff(FixtureData.Reference("bert.mean"), embeddings) < 1e-4f);
        float[] inSmallBatches = [.. encoder.Embed([.. batch.Select(i => Strings[i])], batchSize: 4).SelectMany(e => e)];
        Assert.True(FixtureData.MaxAbsDiff(embeddings, inSmallBatches) < 1e-5f);
        float[] cut = encoder.Embed([Strings[0]], maxTokens: 4)[0];
        Assert.Equal(encoder.Encoder.Encode([encoder.Tokenizer.Encode(Strings[0], maxLength: 4)]).Pool(Pooling.Mean)[0], cut);
    }

    [Fact]
    public void Sentence_transformers_pooling_files_select_CLS_and_normalization()
    {
        using var dir = new TempDirectory();
        foreach (string f in Directory.GetFiles(FixtureData.BertDirectory)) File.Copy(f, dir.File(Path.GetFileName(f)));
        dir.Write("1_Pooling/config.json", """{"word_embedding_dimension": 32, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}""");
        dir.Write("modules.json", """[{"idx": 0, "type": "sentence_transformers.models.Transformer"}, {"idx": 2, "type": "sentence_transformers.models.Normalize"}]""");
        TextEncoder encoder = ModelDirectory.LoadEncoder(dir.Path);
        Assert.Equal(Pooling.Cls, encoder.Pooling);
        Assert.True(encoder.Normalize);
        float[] e = encoder.Embed(["a"])[0];
        Assert.Equal(1.0, Math.Sqrt(e.Sum(v => (double)v * v)), 5);
    }

    [Fact]
    public void A_sharded_decoder_directory_loads_and_tokenizes_BlockRank_prompts()
    {
        TextDecoder decoder = ModelDirectory.LoadDecoder(FixtureData.LlamaDirectory);
        BlockRankPrompt prompt = decoder.Prompt("Rank the documents for the query.",
            [" Contracts and terms of service.", " Meeting transcripts with speakers and times.", " The search engine ranks passages.", " Café résumé 2024 😀"],
            " Query: which document is about search?");
        BlockRankPrompt expected = LlamaDecoderTests.Prompt();
        Assert.Equal(expected.Tokens, prompt.Tokens);
        Assert.Equal(expected.QueryStart, prompt.QueryStart);
        Assert.Equal(decoder.Decoder.Config.VocabSize, decoder.Decoder.Logits(new float[decoder.Decoder.Config.HiddenSize]).Length);
    }

    [Fact]
    public void Loading_the_wrong_kind_of_model_says_so()
    {
        Assert.Throws<InvalidDataException>(() => ModelDirectory.LoadDecoder(FixtureData.BertDirectory));
        Assert.Throws<InvalidDataException>(() => ModelDirectory.LoadEncoder(FixtureData.LlamaDirectory));
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(FixtureData.BertDirectory, "config.json"), dir.File("config.json"));
        File.Copy(Path.Combine(FixtureData.BertDirectory, "tokenizer.json"), dir.File("tokenizer.json"));
        Assert.Throws<FileNotFoundException>(() => ModelDirectory.LoadEncoder(dir.Path));
    }
}
