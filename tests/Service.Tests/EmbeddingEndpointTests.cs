using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Search.Indexing.Embeddings;

namespace Search.Service.Tests;

public sealed class EmbeddingEndpointTests(EmbeddingHost host) : IClassFixture<EmbeddingHost>
{
    private static readonly string[] Texts = ["The search engine finds documents.", "Numbers 2024, 3.14159 and 42nd street", "a"];

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        (await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync())).RootElement;

    private async Task<float[][]> Direct(string[] texts)
    {
        var generated = await host.Generator.GenerateAsync(texts);
        return [.. generated.Select(e => e.Vector.ToArray())];
    }

    [Fact]
    public async Task Models_lists_the_packaged_encoders_and_the_configured_model_in_openai_shape()
    {
        var list = await Json(await host.Http.GetAsync("v1/models"));
        Assert.Equal("list", list.GetProperty("object").GetString());
        var models = list.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["all-minilm-l6-v2", "arctic-embed-xs", "tiny-bert"], models.Select(m => m.GetProperty("id").GetString()));
        Assert.All(models, m => Assert.Equal("model", m.GetProperty("object").GetString()));
        Assert.All(models, m => Assert.True(m.TryGetProperty("owned_by", out _)));
        // Without a model name the default (here the configured model) embeds.
        var unnamed = await Json(await host.Http.PostAsync("v1/embeddings", new StringContent("""{"input": "x"}""", System.Text.Encoding.UTF8, "application/json")));
        Assert.Equal("tiny-bert", unnamed.GetProperty("model").GetString());
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("v1/models/tiny-bert")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("v1/models/nope")).StatusCode);
    }

    [Fact]
    public async Task Float_response_has_openai_shape_and_the_generators_vectors()
    {
        var response = await host.Http.PostAsJsonAsync("v1/embeddings", new { model = "tiny-bert", input = Texts });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal("tiny-bert", body.GetProperty("model").GetString());
        Assert.True(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > Texts.Length * 2);
        Assert.Equal(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), body.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        float[][] expected = await Direct(Texts);
        var data = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(Texts.Length, data.Count);
        for (int i = 0; i < data.Count; i++)
        {
            Assert.Equal("embedding", data[i].GetProperty("object").GetString());
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            float[] vector = [.. data[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
            Assert.Equal(expected[i], vector);
        }
    }

    [Fact]
    public async Task Base64_response_is_little_endian_float32_and_a_single_string_input_works()
    {
        var response = await host.Http.PostAsJsonAsync("v1/embeddings", new { model = "tiny-bert", input = Texts[0], encoding_format = "base64" });
        var body = await Json(response);
        var item = Assert.Single(body.GetProperty("data").EnumerateArray());
        Assert.Equal((await Direct([Texts[0]]))[0], EmbeddingVectors.FromBase64(item.GetProperty("embedding").GetString()!));
    }

    [Fact]
    public async Task Fewer_dimensions_are_the_renormalised_prefix()
    {
        var body = await Json(await host.Http.PostAsJsonAsync("v1/embeddings", new { model = "tiny-bert", input = Texts, dimensions = 8 }));
        float[][] full = await Direct(Texts);
        int i = 0;
        foreach (var item in body.GetProperty("data").EnumerateArray())
        {
            float[] vector = [.. item.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
            Assert.Equal(EmbeddingVectors.Truncate(full[i++], 8), vector);
        }
    }

    [Fact]
    public async Task Concurrent_requests_get_the_same_vectors()
    {
        float[][] expected = await Direct(Texts);
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            host.Http.PostAsJsonAsync("v1/embeddings", new { model = "tiny-bert", input = Texts, encoding_format = "base64" })));
        foreach (var response in responses)
        {
            var data = (await Json(response)).GetProperty("data").EnumerateArray().ToList();
            for (int i = 0; i < Texts.Length; i++) Assert.Equal(expected[i], EmbeddingVectors.FromBase64(data[i].GetProperty("embedding").GetString()!));
        }
    }

    public static TheoryData<string, HttpStatusCode, string> BadRequests()
    {
        string tooMany = JsonSerializer.Serialize(Enumerable.Repeat("x", 2049));
        string tooLong = JsonSerializer.Serialize(string.Join(' ', Enumerable.Repeat("word", 100)));
        return new()
        {
            { """{"model": "nope", "input": "x"}""", HttpStatusCode.NotFound, "nope" },
            { """{"model": "tiny-bert", "input": []}""", HttpStatusCode.BadRequest, "empty" },
            { """{"model": "tiny-bert", "input": ["a", ""]}""", HttpStatusCode.BadRequest, "input[1]" },
            { """{"model": "tiny-bert"}""", HttpStatusCode.BadRequest, "input" },
            { """{"model": "tiny-bert", "input": [1, 2, 3]}""", HttpStatusCode.BadRequest, "token-id" },
            { $$"""{"model": "tiny-bert", "input": {{tooMany}}}""", HttpStatusCode.BadRequest, "2048" },
            { $$"""{"model": "tiny-bert", "input": ["ok", {{tooLong}}]}""", HttpStatusCode.BadRequest, "input[1] has" },
            { """{"model": "tiny-bert", "input": "x", "dimensions": 33}""", HttpStatusCode.BadRequest, "dimensions" },
            { """{"model": "tiny-bert", "input": "x", "dimensions": 0}""", HttpStatusCode.BadRequest, "dimensions" },
            { """{"model": "tiny-bert", "input": "x", "encoding_format": "int8"}""", HttpStatusCode.BadRequest, "encoding_format" },
            { """{"model": "tiny-bert", "input": "x", "dimensions": "many"}""", HttpStatusCode.BadRequest, "" },
            { """not json""", HttpStatusCode.BadRequest, "" },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_are_openai_errors_with_the_right_status(string json, HttpStatusCode status, string messageContains)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var response = await host.Http.PostAsync("v1/embeddings", content);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await Json(response)).GetProperty("error");
        Assert.Contains(messageContains, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _));
    }
}
