using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>
/// Bulk <c>paths</c> through the real service: only files really below the ingest root are read, links and globs do
/// not lead out of it, errors reveal nothing about files outside, and ids are relative to the root.
/// </summary>
public sealed class IngestRootTests : IAsyncLifetime
{
    private readonly TempDirectory _outside = new();
    private readonly TempDirectory _root = new();
    private ApiHost _host = null!;
    private HttpClient Http => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(_root.Path);
        Assert.Equal(HttpStatusCode.Created, (await Http.PostAsJsonAsync("/collections", new { name = "c" })).StatusCode);
        _outside.Write("canary.txt", "the outside canary zebraquartz must never become searchable");
        _root.Write("docs/inside.txt", "inside document about lighthouses");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _root.Dispose();
        _outside.Dispose();
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    private async Task<JsonElement> Bulk(params string[] paths)
    {
        var response = await Http.PostAsJsonAsync("/collections/c/bulk?wait=indexed", new { paths });
        return await Json(response);
    }

    private async Task<string> Refused(params string[] paths)
    {
        var response = await Http.PostAsJsonAsync("/collections/c/bulk", new { paths });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await Json(response)).GetProperty("detail").GetString()!;
    }

    private async Task AssertCanaryNotSearchable()
    {
        var hits = (await Json(await Http.GetAsync("/collections/c/search?q=zebraquartz"))).GetProperty("hits");
        Assert.Equal(0, hits.GetArrayLength());
    }

    [Fact]
    public async Task Paths_outside_the_root_are_refused_alike_whether_or_not_they_exist()
    {
        string existing = await Refused(_outside.File("canary.txt"));
        string missing = await Refused(_outside.File("no-such-file.txt"));
        Assert.Contains("outside the ingest roots", existing);
        Assert.Equal(existing.Replace("canary.txt", "X", StringComparison.Ordinal), missing.Replace("no-such-file.txt", "X", StringComparison.Ordinal));
        Assert.Contains("outside the ingest roots", await Refused("../" + Path.GetFileName(_outside.Path) + "/canary.txt"));
        Assert.Contains("outside the ingest roots", await Refused(_root.File("docs/../../" + Path.GetFileName(_outside.Path) + "/canary.txt")));
        // A glob outside the root lists nothing: the refusal names no file.
        string listing = await Refused("/etc/*");
        Assert.DoesNotContain("passwd", listing);
        await AssertCanaryNotSearchable();
    }

    [Fact]
    public async Task A_link_inside_the_root_to_a_file_outside_fails_without_being_read()
    {
        File.CreateSymbolicLink(_root.File("docs/link.txt"), _outside.File("canary.txt"));
        var task = await Bulk(_root.File("docs/link.txt"));
        Assert.Equal(1, task.GetProperty("task").GetProperty("failed").GetInt32());
        Assert.Contains("outside the ingest roots", task.GetProperty("errors")[0].GetProperty("error").GetString());
        await AssertCanaryNotSearchable();
    }

    [Fact]
    public async Task Globs_and_directories_neither_follow_links_out_of_the_root_nor_loop_on_self_links()
    {
        Directory.CreateSymbolicLink(_root.File("docs/escape"), _outside.Path);
        Directory.CreateSymbolicLink(_root.File("docs/self"), _root.File("docs"));
        Directory.CreateSymbolicLink(_root.File("docs/parent"), _root.Path);
        var globbed = await Bulk(_root.File("**/*.txt"));
        Assert.Equal(1, globbed.GetProperty("task").GetProperty("done").GetInt32());
        var walked = await Bulk(_root.File("docs"));
        Assert.Equal(1, walked.GetProperty("task").GetProperty("done").GetInt32());
        // A directory link named outright is where it really is: outside.
        Assert.Contains("outside the ingest roots", await Refused(_root.File("docs/escape")));
        await AssertCanaryNotSearchable();
    }

    [Fact]
    public async Task Document_ids_from_paths_are_relative_to_the_root()
    {
        var task = await Bulk("docs/inside.txt");
        Assert.Equal(1, task.GetProperty("task").GetProperty("done").GetInt32());
        var hit = (await Json(await Http.GetAsync("/collections/c/search?q=lighthouses"))).GetProperty("hits")[0];
        Assert.Equal("docs/inside.txt", hit.GetProperty("documentId").GetString());
        Assert.DoesNotContain(_root.Path, await (await Http.GetAsync("/collections/c/documents/docs%2Finside.txt")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_service_data_directory_inside_the_root_is_never_read()
    {
        Assert.True(File.Exists(Path.Combine(ApiHost.DataDirectory(_root.Path), "search.db")));
        Assert.Contains("no file matched", await Refused(_root.File("**/*.json"), _root.File("**/*.db"), _root.File(".data")));
    }
}
