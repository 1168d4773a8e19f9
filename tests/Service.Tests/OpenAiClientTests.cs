using System.Net;
using Search.Indexing.Embeddings;

namespace Search.Service.Tests;

/// <summary>The OpenAI-compatible client against our own /v1/embeddings over real HTTP.</summary>
public sealed class OpenAiClientTests(EmbeddingHost host) : IClassFixture<EmbeddingHost>
{
    private static readonly string[] Texts =
    [
        "The search engine finds documents.", "Numbers 2024, 3.14159 and 42nd street", "a", "Don't stop: we'll see; it's ok... (really)", "tabs\tand\nnewlines",
    ];

    private OpenAiCompatibleEmbeddingGenerator Client(bool base64, string model = "tiny-bert", int batchSize = 2) =>
        new(new OpenAiEmbeddingOptions { Endpoint = new Uri(host.BaseAddress, "v1"), Model = model, Base64 = base64, BatchSize = batchSize, ApiKey = "unused" });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Client_gets_the_generators_vectors_in_batches(bool base64)
    {
        using var client = Client(base64);
        var remote = await client.GenerateAsync(Texts);
        var direct = await host.Generator.GenerateAsync(Texts);
        Assert.Equal(Texts.Length, remote.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(direct[i].Vector.ToArray(), remote[i].Vector.ToArray());
            Assert.Equal("tiny-bert", remote[i].ModelId);
        }
        Assert.Equal(direct.Usage?.InputTokenCount, remote.Usage?.InputTokenCount);
    }

    [Fact]
    public async Task Client_passes_dimensions()
    {
        using var client = Client(base64: true);
        var remote = await client.GenerateAsync(Texts, new Microsoft.Extensions.AI.EmbeddingGenerationOptions { Dimensions = 8 });
        var direct = await host.Generator.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(EmbeddingVectors.Truncate(direct[i].Vector.Span, 8), remote[i].Vector.ToArray());
    }

    [Fact]
    public async Task Server_errors_become_exceptions_with_the_servers_message()
    {
        using var unknown = Client(base64: true, model: "nope");
        var notFound = await Assert.ThrowsAsync<EmbeddingServiceException>(() => unknown.GenerateAsync(["x"]));
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Contains("nope", notFound.ServerMessage);
        Assert.Contains("404", notFound.Message);

        using var client = Client(base64: true);
        var tooLong = await Assert.ThrowsAsync<EmbeddingServiceException>(() => client.GenerateAsync([string.Join(' ', Enumerable.Repeat("word", 100))]));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("tokens", tooLong.ServerMessage);
    }
}
