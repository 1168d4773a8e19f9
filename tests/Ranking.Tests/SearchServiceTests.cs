using Search.Indexing.Ingestion;
using Search.Indexing.Storage;
using Search.TestSupport;

namespace Search.Ranking.Tests;

public sealed class SearchServiceTests : EngineTest
{
    private Task Add(string id, string title, string text, string metadata = "{}") =>
        Engine.Ingestion.IngestJsonAsync("c", Indexing.Extraction.JsonDocumentReader.Parse(
            System.Text.Json.JsonSerializer.Serialize(new { id, title, text, metadata = System.Text.Json.JsonDocument.Parse(metadata).RootElement }), id, id), explicitId: true);

    [Fact]
    public async Task Writes_from_anotherEngine_on_the_same_store_are_found_and_deletes_disappear()
    {
        await Add("a", "Wind power", "Turbines convert wind into electricity.");
        Assert.Single((await Engine.Search.SearchAsync("c", new SearchRequest("turbines"))).Hits);
        await using (var other = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = Dir.Path }))
        {
            await other.Ingestion.IngestJsonAsync("c", Indexing.Extraction.JsonDocumentReader.Parse("""{"id": "b", "title": "More turbines", "text": "Offshore turbines."}""", "b", "b"), true);
            Assert.True(await other.Store.DeleteDocumentAsync("c", "a"));
        }
        var hits = (await Engine.Search.SearchAsync("c", new SearchRequest("turbines"))).Hits;
        Assert.Equal(["b"], hits.Select(h => h.DocumentId));
    }

    [Fact]
    public async Task Hits_carry_passage_place_score_and_components()
    {
        await Add("doc", "Report", "Solar output rose sharply this year.");
        var hit = Assert.Single((await Engine.Search.SearchAsync("c", new SearchRequest("solar output"))).Hits);
        Assert.Equal((1, "doc", "Report", 0, "Solar output rose sharply this year."), (hit.Rank, hit.DocumentId, hit.Title, hit.Segment, hit.Text));
        Assert.Equal(hit.Score, hit.Components["bm25"]);
        Assert.Equal(hit.Score, hit.Components["bm25_title"] + hit.Components["bm25_section"] + hit.Components["bm25_body"], 9);
    }

    [Fact]
    public async Task Metadata_filters_match_strings_numbers_and_array_members()
    {
        await Add("1", "One", "shared words", """{"lang": "en", "year": 2020, "tags": ["legal", "contract"]}""");
        await Add("2", "Two", "shared words", """{"lang": "fr", "year": 2021, "tags": ["legal"]}""");
        await Add("3", "Three", "shared words", "{}");
        async Task<string[]> Ids(Dictionary<string, string> f) =>
            (await Engine.Search.SearchAsync("c", new SearchRequest("shared", Filters: f))).Hits.Select(h => h.DocumentId).Order().ToArray();
        Assert.Equal(["1"], await Ids(new() { ["lang"] = "en" }));
        Assert.Equal(["2"], await Ids(new() { ["year"] = "2021" }));
        Assert.Equal(["1", "2"], await Ids(new() { ["tags"] = "legal" }));
        Assert.Equal(["1"], await Ids(new() { ["tags"] = "legal", ["lang"] = "en" }));
        Assert.Empty(await Ids(new() { ["missing"] = "x" }));
    }

    [Theory]
    [InlineData("", 10, "empty")]
    [InlineData("q", 0, "k must be")]
    [InlineData("q", 1001, "k must be")]
    public async Task Invalid_requests_are_rejected(string q, int k, string message)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Engine.Search.SearchAsync("c", new SearchRequest(q, k)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => Engine.Search.SearchAsync("c", new SearchRequest("q", Mode: "magic")));
        await Assert.ThrowsAsync<NotFoundException>(() => Engine.Search.SearchAsync("nope", new SearchRequest("q")));
    }

    [Fact]
    public async Task A_recreated_collection_does_not_see_the_old_documents()
    {
        await Add("old", "Old", "ancient text");
        Assert.Single((await Engine.Search.SearchAsync("c", new SearchRequest("ancient"))).Hits);
        await Engine.Store.DeleteCollectionAsync("c");
        await Engine.Store.CreateCollectionAsync("c");
        Assert.Empty((await Engine.Search.SearchAsync("c", new SearchRequest("ancient"))).Hits);
    }
}

/// <summary>The persistent index across engine restarts: resume from its commit, rebuild when corrupt.</summary>
public sealed class PersistentIndexTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_restartedEngine_resumes_from_the_commit_and_replays_later_writes()
    {
        await using (var first = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = _dir.Path }))
        {
            await first.Store.CreateCollectionAsync("c");
            for (int i = 0; i < 5; i++) await TestDocuments.AddAsync(first, "d" + i, "shared word w" + i);
            Assert.Equal(5, (await first.Search.SearchAsync("c", new SearchRequest("shared", 10))).Hits.Count);
        }
        Assert.Single(Directory.GetFiles(Path.Combine(_dir.Path, "index", "sqlite"), "manifest", SearchOption.AllDirectories));
        await using var second = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = _dir.Path });
        await TestDocuments.AddAsync(second, "d5", "shared word w5");
        Assert.True(await second.Store.DeleteDocumentAsync("c", "d0"));
        var hits = (await second.Search.SearchAsync("c", new SearchRequest("shared", 10))).Hits;
        Assert.Equal(["d1", "d2", "d3", "d4", "d5"], hits.Select(h => h.DocumentId).Order());
        Assert.All(hits, h => Assert.Equal("Title " + h.DocumentId, h.Title));
    }

    [Fact]
    public async Task A_corrupt_index_is_rebuilt_from_the_store()
    {
        await using (var first = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = _dir.Path }))
        {
            await first.Store.CreateCollectionAsync("c");
            for (int i = 0; i < 5; i++) await TestDocuments.AddAsync(first, "d" + i, "shared word w" + i);
            await first.Search.SearchAsync("c", new SearchRequest("shared", 10));
        }
        var segment = Directory.GetFiles(Path.Combine(_dir.Path, "index"), "*.sgi", SearchOption.AllDirectories).First();
        var bytes = File.ReadAllBytes(segment);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(segment, bytes);
        await using var second = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = _dir.Path });
        Assert.Equal(5, (await second.Search.SearchAsync("c", new SearchRequest("shared", 10))).Hits.Count);
    }
}
