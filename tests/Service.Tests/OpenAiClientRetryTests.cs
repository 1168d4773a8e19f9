using System.Net;
using System.Text;
using Search.Indexing.Embeddings;

namespace Search.Service.Tests;

/// <summary>The client's retries and response parsing against scripted responses.</summary>
public sealed class OpenAiClientRetryTests
{
    private sealed class Scripted(params Func<HttpRequestMessage, HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        public List<string> Bodies { get; } = [];
        public List<string?> Authorizations { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Bodies.Add(await request.Content!.ReadAsStringAsync(ct));
            Authorizations.Add(request.Headers.Authorization?.ToString());
            return answers[Math.Min(Bodies.Count - 1, answers.Length - 1)](request);
        }
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static OpenAiCompatibleEmbeddingGenerator Client(Scripted handler, int retries = 3) =>
        new(new OpenAiEmbeddingOptions
        {
            Endpoint = new Uri("http://embeddings.test/v1"), Model = "m", ApiKey = "sk-test", MaxRetries = retries,
            InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(20),
        }, new HttpClient(handler));

    private const string Ok = """{"object": "list", "model": "m", "data": [{"index": 1, "embedding": [3, 4]}, {"index": 0, "embedding": "AACAPwAAAEA="}], "usage": {"prompt_tokens": 5, "total_tokens": 5}}""";

    [Fact]
    public async Task Retries_429_and_5xx_then_orders_by_index_and_reads_both_encodings()
    {
        var handler = new Scripted(
            _ => Answer(HttpStatusCode.TooManyRequests, """{"error": {"message": "slow down"}}"""),
            _ => Answer(HttpStatusCode.ServiceUnavailable, "busy"),
            _ => Answer(HttpStatusCode.OK, Ok));
        using var client = Client(handler);
        var result = await client.GenerateAsync(["first", "second"]);
        Assert.Equal(3, handler.Bodies.Count);
        Assert.Equal([1f, 2f], result[0].Vector.ToArray());
        Assert.Equal([3f, 4f], result[1].Vector.ToArray());
        Assert.Equal(5, result.Usage?.InputTokenCount);
        Assert.Contains("\"encoding_format\":\"base64\"", handler.Bodies[0]);
        Assert.Equal("Bearer sk-test", handler.Authorizations[0]);
    }

    [Fact]
    public async Task Gives_up_after_the_retries_with_the_servers_message()
    {
        var handler = new Scripted(_ => Answer(HttpStatusCode.BadGateway, """{"error": {"message": "upstream down"}}"""));
        using var client = Client(handler, retries: 2);
        var e = await Assert.ThrowsAsync<EmbeddingServiceException>(() => client.GenerateAsync(["x"]));
        Assert.Equal(3, handler.Bodies.Count);
        Assert.Equal(HttpStatusCode.BadGateway, e.StatusCode);
        Assert.Equal("upstream down", e.ServerMessage);
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        var handler = new Scripted(_ => Answer(HttpStatusCode.Unauthorized, """{"error": {"message": "bad key"}}"""));
        using var client = Client(handler);
        var e = await Assert.ThrowsAsync<EmbeddingServiceException>(() => client.GenerateAsync(["x"]));
        Assert.Single(handler.Bodies);
        Assert.Contains("bad key", e.Message);
    }

    [Fact]
    public async Task A_response_that_does_not_match_the_inputs_is_an_error()
    {
        var handler = new Scripted(_ => Answer(HttpStatusCode.OK, """{"data": [{"index": 0, "embedding": [1]}]}"""));
        using var client = Client(handler);
        await Assert.ThrowsAsync<EmbeddingServiceException>(() => client.GenerateAsync(["x", "y"]));
    }
}
