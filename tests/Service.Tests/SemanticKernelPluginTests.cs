using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Data;
using Search.Client;
using Search.SemanticKernel;
using Search.SemanticKernel.Sample;
using Search.Service.Security;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>The Semantic Kernel integration against the real service: the plugin function invoked through a kernel, ITextSearch, and the sample.</summary>
public sealed class SemanticKernelPluginTests : IAsyncLifetime
{
    private const string MasterKey = "semantic-kernel-master-key-0123456789";
    private readonly TempDirectory _dir = new();
    private ApiHost _host = null!;
    private SearchClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(_dir.Path, new ServiceSecurityOptions { MasterKey = MasterKey });
        _admin = new SearchClient(_host.Client.BaseAddress!, MasterKey);
        await _admin.CreateCollectionAsync("samples");
        foreach (var name in new[] { "terms-of-service.txt", "meeting-ES2010c.vtt" })
        {
            await using var file = File.OpenRead(Path.Combine(RepoPaths.Root, "samples", "corpus", name));
            await _admin.UploadAsync("samples", name, file, waitIndexed: true);
        }
        await _admin.PutDocumentAsync("samples", new DocumentInput("memo", "Memo", "The refund desk closes on Fridays.", new Dictionary<string, string> { ["team"] = "support" }), waitIndexed: true);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_plugin_function_returns_passages_with_section_path_chapter_times_and_a_citation_link()
    {
        var kernel = Kernel.CreateBuilder();
        kernel.Plugins.AddSearchCollection(_admin, "samples", mode: "bm25");
        var built = kernel.Build();
        var function = built.Plugins.GetFunction("documents", "search");
        Assert.Contains(function.Metadata.Parameters, p => p.Name == "query" && p.IsRequired);

        var clause = (await built.InvokeAsync(function, new KernelArguments { ["query"] = "refund after termination for breach", ["count"] = 2 }))
            .GetValue<IReadOnlyList<Passage>>()!;
        Assert.Equal(2, clause.Count);
        Assert.Equal("ARTICLE V – REFUNDS > Section 5.4 Refunds After Termination for Breach", clause[0].SectionPath);
        Assert.Null(clause[0].StartSeconds);
        Assert.StartsWith(new Uri(_host.Client.BaseAddress!, "console/#/collections/samples/documents/").AbsoluteUri, clause[0].Link, StringComparison.Ordinal);
        Assert.Contains(clause[0].SectionPath, clause[0].Location, StringComparison.Ordinal);

        // A transcript passage carries its chapter and times, inside the chapter's; its text is the stored segment's.
        var meeting = (await built.InvokeAsync(function, new KernelArguments { ["query"] = "remote control buttons", ["count"] = 3 }))
            .GetValue<IReadOnlyList<Passage>>()!;
        var spoken = meeting.First(p => p.Title == "meeting-ES2010c");
        Assert.False(string.IsNullOrEmpty(spoken.Chapter));
        Assert.True(spoken.StartSeconds < spoken.EndSeconds);
        int segment = int.Parse(spoken.Link[(spoken.Link.LastIndexOf('=') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var stored = await _host.Client.SendAsync(Authorized(HttpMethod.Get, $"/collections/samples/documents/{Uri.EscapeDataString(spoken.DocumentId)}"));
        using var doc = System.Text.Json.JsonDocument.Parse(await stored.Content.ReadAsStringAsync());
        Assert.Equal(spoken.Text, doc.RootElement.GetProperty("segments")[segment].GetProperty("text").GetString());
        Assert.Matches(@"\d+:\d\d–\d+:\d\d", spoken.Location);

        // Bad arguments are refused by the function, not sent to the service.
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => built.InvokeAsync(function, new KernelArguments { ["query"] = "refund", ["count"] = 0 }));
    }

    [Fact]
    public async Task Text_search_pages_with_skip_filters_on_metadata_and_maps_to_text_search_results()
    {
        var search = new CollectionTextSearch(_admin, "samples", "bm25");
        var first = await search.SearchPassagesAsync("refund", new TextSearchOptions<Passage> { Top = 3 });
        var skipped = await search.SearchPassagesAsync("refund", new TextSearchOptions<Passage> { Top = 2, Skip = 1 });
        Assert.Equal(first.Skip(1).Select(p => p.Link), skipped.Select(p => p.Link));

        var results = new List<TextSearchResult>();
        await foreach (var r in (await search.GetTextSearchResultsAsync("refund", new TextSearchOptions<Passage> { Top = 3 })).Results) results.Add(r);
        Assert.Equal(first.Select(p => (p.Text, p.Location, p.Link)), results.Select(r => (r.Value, r.Name!, r.Link!)));

        var support = new CollectionTextSearch(_admin, "samples", "bm25", new Dictionary<string, string> { ["team"] = "support" });
        Assert.Equal("memo", Assert.Single(await support.SearchPassagesAsync("refund", new TextSearchOptions<Passage> { Top = 5 })).DocumentId);
        await Assert.ThrowsAsync<NotSupportedException>(() => search.SearchPassagesAsync("refund", new TextSearchOptions<Passage> { Filter = p => p.Score > 1 }));
    }

    [Fact]
    public async Task A_key_without_the_collection_is_refused_through_the_plugin()
    {
        var key = await _admin.CreateKeyAsync("other", ["search"], ["other"]);
        using var client = new SearchClient(_host.Client.BaseAddress!, key.Key);
        var plugin = new SearchPlugin(new CollectionTextSearch(client, "samples"));
        await Assert.ThrowsAsync<SearchAccessException>(() => plugin.SearchAsync("refund"));
    }

    [Fact]
    public async Task The_sample_prints_the_top_passages_and_refuses_bad_arguments()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await SampleProgram.RunAsync(["--url", _host.Client.BaseAddress!.AbsoluteUri, "--mode", "bm25", "--count", "2", "refund", "after", "termination"],
            output, error, MasterKey);
        Assert.True(code == 0, error.ToString());
        string text = output.ToString();
        Assert.StartsWith("2 passages from 'samples' for \"refund after termination\"", text, StringComparison.Ordinal);
        Assert.Contains("Section 5.4 Refunds After Termination for Breach", text, StringComparison.Ordinal);
        Assert.Contains("/console/#/collections/samples/documents/", text, StringComparison.Ordinal);

        Assert.Equal(2, await SampleProgram.RunAsync(["--count", "0", "refund"], output, error, null));
        Assert.Equal(2, await SampleProgram.RunAsync(["--url", _host.Client.BaseAddress!.AbsoluteUri, "--collection", "nope", "refund"], output, error, MasterKey));
    }

    private static HttpRequestMessage Authorized(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", MasterKey);
        return request;
    }
}
