using Microsoft.Extensions.AI;
using Search.Indexing.Storage;
using Search.Models;
using Search.Indexing.Embeddings;
using Search.TestSupport;

namespace Search.Ranking.Tests;

public sealed class TransformerEmbeddingGeneratorTests
{
    private static readonly string TinyBert = Path.Combine(RepoPaths.Root, "tests", "Models.Tests", "Fixtures", "tiny-bert");

    private static readonly string[] Texts =
    [
        "The search engine finds documents.",
        "Numbers 2024, 3.14159 and 42nd street",
        "Don't stop: we'll see; it's ok... (really)",
        "a",
        "tabs\tand\nnewlines\r\nhere",
    ];

    [Fact]
    public async Task Vectors_are_the_encoders_pooled_embeddings_normalised()
    {
        using var generator = TransformerEmbeddingGenerator.Load(TinyBert);
        float[][] expected = ModelDirectory.LoadEncoder(TinyBert).Embed(Texts);
        var actual = await generator.GenerateAsync(Texts);
        Assert.Equal(Texts.Length, actual.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            double norm = Math.Sqrt(expected[i].Sum(v => (double)v * v));
            float[] vector = actual[i].Vector.ToArray();
            Assert.Equal(32, vector.Length);
            for (int d = 0; d < vector.Length; d++) Assert.Equal(expected[i][d] / norm, vector[d], 1e-6);
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 1e-5);
            Assert.Equal("tiny-bert", actual[i].ModelId);
        }
    }

    [Fact]
    public async Task Output_is_deterministic_and_independent_of_batching()
    {
        using var batched = TransformerEmbeddingGenerator.Load(TinyBert, batchTokens: 8192);
        using var single = TransformerEmbeddingGenerator.Load(TinyBert, batchTokens: 1); // one text a batch
        var first = await batched.GenerateAsync(Texts);
        var second = await batched.GenerateAsync(Texts);
        var oneByOne = await single.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(first[i].Vector.ToArray(), second[i].Vector.ToArray());
            float[] a = first[i].Vector.ToArray(), b = oneByOne[i].Vector.ToArray();
            for (int d = 0; d < a.Length; d++) Assert.Equal(a[d], b[d], 1e-5);
        }
    }

    [Fact]
    public async Task Metadata_usage_and_token_limits_are_reported()
    {
        using var generator = TransformerEmbeddingGenerator.Load(TinyBert);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal("tiny-bert", metadata.DefaultModelId);
        Assert.Equal(32, metadata.DefaultModelDimensions);
        Assert.Same(generator, generator.GetService<TransformerEmbeddingGenerator>());
        Assert.Equal(64, generator.MaxTokens);

        var result = await generator.GenerateAsync(["a", "a a"]);
        Assert.Equal(3 + 4, result.Usage?.InputTokenCount);
        Assert.Equal(3, generator.CountTokens("a"));
        Assert.True(generator.CountTokens(string.Join(' ', Enumerable.Repeat("word", 100))) > generator.MaxTokens);
    }

    [Fact]
    public async Task Fewer_dimensions_truncate_and_renormalise_more_are_refused()
    {
        using var generator = TransformerEmbeddingGenerator.Load(TinyBert);
        float[] full = (await generator.GenerateAsync([Texts[0]]))[0].Vector.ToArray();
        float[] shortVector = (await generator.GenerateAsync([Texts[0]], new EmbeddingGenerationOptions { Dimensions = 8 }))[0].Vector.ToArray();
        Assert.Equal(8, shortVector.Length);
        double prefixNorm = Math.Sqrt(full.Take(8).Sum(v => (double)v * v));
        for (int d = 0; d < 8; d++) Assert.Equal(full[d] / prefixNorm, shortVector[d], 1e-6);
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 33 }));
    }

    [Fact]
    public void Registry_offers_the_packaged_encoders_and_the_configured_model_which_becomes_the_default()
    {
        using var registry = EmbedderRegistry.Create(new EmbedderSettings(TinyBert + Path.DirectorySeparatorChar));
        Assert.Equal(["all-minilm-l6-v2", "arctic-embed-xs", "tiny-bert"], registry.Names);
        Assert.Equal("tiny-bert", registry.DefaultName);
        Assert.IsType<TransformerEmbeddingGenerator>(registry.Get("tiny-bert"));
        Assert.Throws<NotFoundException>(() => registry.Get("other"));
        Assert.Throws<DirectoryNotFoundException>(() => EmbedderRegistry.Create(new EmbedderSettings(Path.Combine(TinyBert, "missing"))));
        using var packaged = EmbedderRegistry.Create(new EmbedderSettings());
        Assert.Equal(EmbedderSettings.PackagedDefault, packaged.DefaultName);
        Assert.Equal(EmbedderRegistry.Corpus, EmbedderRegistry.Create(new EmbedderSettings(Default: "corpus")).DefaultName);
        Assert.Throws<ArgumentException>(() => EmbedderRegistry.Create(new EmbedderSettings(Default: "no-such-model")));
    }

    [Fact]
    public void Registry_replaces_and_removes_from_many_threads()
    {
        using var registry = new EmbedderRegistry();
        using var first = TransformerEmbeddingGenerator.Load(TinyBert);
        using var second = TransformerEmbeddingGenerator.Load(TinyBert);
        Parallel.For(0, 200, i => registry.Register("m" + (i % 10), i % 2 == 0 ? first : second));
        Assert.Equal(10, registry.Names.Count);
        Assert.NotNull(registry.Register("m0", first));
        Assert.Null(registry.Register("new", second));
        Assert.Same(second, registry.Remove("new"));
        Assert.False(registry.TryGet("new", out _));
        // Removed before the registry is disposed: the test owns these generators.
        foreach (string name in registry.Names) registry.Remove(name);
    }
}
