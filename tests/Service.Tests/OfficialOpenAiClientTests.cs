using System.ClientModel;
using OpenAI;
using OpenAI.Embeddings;

namespace Search.Service.Tests;

/// <summary>OpenAI's own .NET client against the service's /v1: it embeds, and on a bad request it shows the server's message.</summary>
public sealed class OfficialOpenAiClientTests(EmbeddingHost host) : IClassFixture<EmbeddingHost>
{
    private EmbeddingClient Client(string model) =>
        new(model, new ApiKeyCredential("unused-on-loopback"), new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1") });

    [Fact]
    public async Task The_official_client_embeds_through_the_service()
    {
        var embedding = (await Client("tiny-bert").GenerateEmbeddingAsync("the river floods in spring")).Value;
        var vector = embedding.ToFloats();
        Assert.Equal(32, vector.Length);
        var direct = await host.Generator.GenerateAsync(["the river floods in spring"]);
        Assert.Equal(direct[0].Vector.ToArray(), vector.ToArray());
    }

    [Fact]
    public async Task The_official_client_surfaces_the_server_message_on_a_bad_request()
    {
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => Client("nope").GenerateEmbeddingAsync("x"));
        Assert.Equal(404, missing.Status);
        Assert.Contains("no embedding model 'nope'", missing.Message);

        var tooWide = await Assert.ThrowsAsync<ClientResultException>(() => Client("tiny-bert").GenerateEmbeddingAsync("x", new EmbeddingGenerationOptions { Dimensions = 999 }));
        Assert.Equal(400, tooWide.Status);
        Assert.Contains("dimensions must be between 1 and the model's 32", tooWide.Message);
    }
}
