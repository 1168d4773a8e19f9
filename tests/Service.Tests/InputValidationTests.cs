using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Search.Service.Tests;

/// <summary>Hostile JSON bodies get a 400 or 413 problem naming what is wrong, never a 500, and nothing is stored.</summary>
public sealed class InputValidationTests : ApiTestBase
{
    private async Task<HttpResponseMessage> PostRaw(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return await Http.PostAsync("/collections/c/documents", content);
    }

    private static async Task<string> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("detail").GetString()!;
    }

    private async Task AssertNothingStored()
    {
        var documents = JsonDocument.Parse(await Http.GetStringAsync("/collections/c/documents")).RootElement;
        Assert.Equal(0, documents.GetArrayLength());
    }

    private async Task Collection() => Assert.Equal(HttpStatusCode.Created, (await Http.PostAsJsonAsync("/collections", new { name = "c" })).StatusCode);

    [Fact]
    public async Task Invalid_utf8_and_lone_surrogates_are_400_not_500()
    {
        await Collection();
        byte[] invalid = [.. "{\"id\": \"a\", \"text\": \"bad "u8, 0xFF, 0xFE, .. " bytes\"}"u8];
        Assert.Contains("'text' is not valid Unicode", await Problem(await PostRaw(invalid), HttpStatusCode.BadRequest));
        Assert.Contains("not valid JSON", await Problem(await PostRaw("{\"id\": "u8.ToArray()), HttpStatusCode.BadRequest));
        Assert.Contains("'text' is not valid Unicode", await Problem(await PostRaw(Encoding.UTF8.GetBytes("{\"id\": \"a\", \"text\": \"x \\ud800 y\"}")), HttpStatusCode.BadRequest));
        Assert.Contains("'id' is not valid Unicode", await Problem(await PostRaw(Encoding.UTF8.GetBytes("{\"id\": \"a\\udc00\", \"text\": \"fine\"}")), HttpStatusCode.BadRequest));
        await AssertNothingStored();
    }

    [Fact]
    public async Task Control_characters_in_ids_are_refused_so_no_document_becomes_unreachable()
    {
        await Collection();
        Assert.Contains("control character (U+0000)", await Problem(await PostRaw(Encoding.UTF8.GetBytes("{\"id\": \"a\\u0000b\", \"text\": \"x\"}")), HttpStatusCode.BadRequest));
        Assert.Contains("control character (U+000A)", await Problem(await PostRaw(Encoding.UTF8.GetBytes("{\"id\": \"line\\nbreak\", \"text\": \"x\"}")), HttpStatusCode.BadRequest));
        await AssertNothingStored();
    }

    [Fact]
    public async Task Wrong_json_types_are_400_naming_the_field()
    {
        await Collection();
        Assert.Contains("'text' must be a string, not number", await Problem(await Http.PostAsJsonAsync("/collections/c/documents", new { id = "a", text = 5 }), HttpStatusCode.BadRequest));
        Assert.Contains("'title' must be a string, not array", await Problem(await Http.PostAsJsonAsync("/collections/c/documents", new { id = "a", title = new[] { 1 }, text = "x" }), HttpStatusCode.BadRequest));
        await AssertNothingStored();
        // A numeric id is still an id, written as it appears.
        Assert.Equal(HttpStatusCode.Created, (await Http.PostAsJsonAsync("/collections/c/documents", new { id = 42, text = "numbers as ids" })).StatusCode);
    }

    [Fact]
    public async Task A_json_document_over_the_size_limit_is_413_without_being_buffered()
    {
        await Collection();
        var big = new StringBuilder("{\"id\": \"big\", \"text\": \"");
        big.Append('x', 48 << 20).Append("\"}");
        var content = new StringContent(big.ToString(), Encoding.UTF8, "application/json");
        Assert.Contains("at most 32 MiB", await Problem(await Http.PostAsync("/collections/c/documents", content), HttpStatusCode.RequestEntityTooLarge));
        await AssertNothingStored();
    }

    [Fact]
    public async Task An_ndjson_bulk_body_over_its_limit_is_413_before_it_is_held_in_memory()
    {
        await Collection();
        var line = Encoding.UTF8.GetBytes("{\"text\": \"" + new string('y', 1 << 20) + "\"}\n");
        var body = new byte[line.Length * 90];
        for (int i = 0; i < 90; i++) line.CopyTo(body, i * line.Length);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
        Assert.Contains("one bulk request may be at most 64 MiB", await Problem(await Http.PostAsync("/collections/c/bulk", content), HttpStatusCode.RequestEntityTooLarge));
        Assert.Equal(0, JsonDocument.Parse(await Http.GetStringAsync("/tasks")).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task A_docx_bomb_and_deeply_nested_html_uploaded_to_the_service_are_refused_with_422()
    {
        await Collection();
        async Task<HttpResponseMessage> Upload(string name, byte[] bytes)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", name } };
            return await Http.PostAsync("/collections/c/documents/upload", form);
        }
        // 300 MiB of zeros in a file of a few hundred KB: refused while counting what it inflates to.
        Assert.Contains("unpacks to more than 256 MiB", await Problem(await Upload("bomb.docx", Search.TestSupport.TestFiles.DocxWithPadding(300L << 20)), HttpStatusCode.UnprocessableEntity));
        Assert.Contains("nest more than 200 deep", await Problem(await Upload("deep.html", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("<div>", 100_000)))), HttpStatusCode.UnprocessableEntity));
        await AssertNothingStored();
    }

    [Fact]
    public async Task An_overlong_url_or_header_block_is_a_problem_not_a_bare_status()
    {
        Assert.Contains("at most 8,192", await Problem(await Http.GetAsync("/collections/c/search?q=" + new string('a', 20_000)), HttpStatusCode.RequestUriTooLong));
        var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("X-Padding", new string('b', 40_000));
        Assert.Contains("at most 32,768", await Problem(await Http.SendAsync(request), HttpStatusCode.RequestHeaderFieldsTooLarge));
    }

    [Fact]
    public async Task Routing_errors_are_problems_too()
    {
        Assert.Contains("GET /no/such/route", await Problem(await Http.GetAsync("/no/such/route"), HttpStatusCode.NotFound));
        Assert.Contains("method not allowed", await Problem(await Http.DeleteAsync("/health"), HttpStatusCode.MethodNotAllowed));
        var openAi = await Http.GetAsync("/v1/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, openAi.StatusCode);
        using var error = JsonDocument.Parse(await openAi.Content.ReadAsStringAsync());
        Assert.Contains("/v1/no-such-thing", error.RootElement.GetProperty("error").GetProperty("message").GetString());
    }
}
