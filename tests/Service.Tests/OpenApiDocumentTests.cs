using System.Diagnostics;
using System.Text.Json;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>The served OpenAPI document describes the real API, and Redocly's linter (infra/openapi-lint.sh) finds no error in it.</summary>
public sealed class OpenApiDocumentTests : ApiTestBase
{
    [Fact]
    public async Task The_document_passes_the_openapi_linter()
    {
        string path = Dir.Write("openapi.json", await Http.GetStringAsync("/openapi/v1.json"));
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "infra", "openapi-lint.sh"), [path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var lint = Process.Start(start)!;
        var stdout = lint.StandardOutput.ReadToEndAsync();
        var stderr = lint.StandardError.ReadToEndAsync();
        await lint.WaitForExitAsync();
        string report = await stdout + await stderr;
        Assert.True(lint.ExitCode == 0, report);
        Assert.Contains("valid", report);
    }

    [Fact]
    public async Task The_document_states_security_statuses_bodies_and_optional_fields()
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync("/openapi/v1.json"));
        var root = doc.RootElement;
        Assert.Equal("bearer", root.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        var paths = root.GetProperty("paths");
        Assert.Equal(0, paths.GetProperty("/health").GetProperty("get").GetProperty("security").GetArrayLength());

        var put = paths.GetProperty("/collections/{name}/documents").GetProperty("post");
        Assert.True(put.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var responses = put.GetProperty("responses");
        foreach (string status in new[] { "200", "201", "400", "401", "403", "404", "413", "415", "422", "429" })
            Assert.True(responses.TryGetProperty(status, out _), $"documents POST lacks {status}");
        Assert.True(responses.GetProperty("400").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(paths.GetProperty("/collections/{name}/documents/upload").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.True(paths.GetProperty("/collections/{name}/bulk").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("application/x-ndjson", out _));
        Assert.True(paths.GetProperty("/collections/{name}").GetProperty("delete").GetProperty("responses").TryGetProperty("204", out _));

        var schemas = root.GetProperty("components").GetProperty("schemas");
        Assert.Equal(["q"], schemas.GetProperty("SearchBody").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["input"], schemas.GetProperty("EmbeddingsRequest").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }
}
