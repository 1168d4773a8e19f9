using Search.Indexing.Pipeline;
using Search.Indexing.Storage;
using Search.TestSupport;

namespace Search.Ranking.Tests;

public sealed class SearchServiceTests : EngineTest
{
    private Task Add(string id, string title, string text, string metadata = "{}") =>
        Engine.Ingestion.IngestJsonAsync("c", Indexing.Extraction.JsonDocumentReader.Parse(
            System.Text.Json.JsonSerializer.Serialize(new { id, title, text, metadata = System.Text.Json.JsonDocument.Parse(metadata).RootElement }), id, id), explicitId: true);

    [Fact]
    public async Task Writes_from_another_engine_on_the_same_store_are_found_and_deletes_disappear()
    {
        await Add("a", "Wind power", "Turbines convert wind into electricity.");
        Assert.Single((await SearchAsync(new SearchRequest("turbines"))).Hits);
        await using (var other = await SearchEngine.OpenAsync(OnDemand(Dir.Path)))
        {
            await other.Ingestion.IngestJsonAsync("c", Indexing.Extraction.JsonDocumentReader.Parse("""{"id": "b", "title": "More turbines", "text": "Offshore turbines."}""", "b", "b"), true);
            Assert.NotNull(await other.Store.DeleteDocumentAsync("c", "a"));
            // This engine owns the indexes, so the other one only reads them: it indexes nothing.
            Assert.False(await other.Indexes.OwnsAsync("c", default));
        }
        var hits = (await SearchAsync(new SearchRequest("turbines"))).Hits;
        Assert.Equal(["b"], hits.Select(h => h.DocumentId));
    }

    [Fact]
    public async Task Hits_carry_passage_place_score_and_components()
    {
        await Add("doc", "Report", "Solar output rose sharply this year.");
        var hit = Assert.Single((await SearchAsync(new SearchRequest("solar output"))).Hits);
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
            (await SearchAsync(new SearchRequest("shared", Filters: f))).Hits.Select(h => h.DocumentId).Order().ToArray();
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
        var e = await Assert.ThrowsAsync<ArgumentException>(() => SearchAsync(new SearchRequest(q, k)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => SearchAsync(new SearchRequest("q", Mode: "magic")));
        await Assert.ThrowsAsync<NotFoundException>(() => Engine.Search.SearchAsync("nope", new SearchRequest("q")));
    }

    [Fact]
    public async Task A_recreated_collection_does_not_see_the_old_documents()
    {
        await Add("old", "Old", "ancient text");
        Assert.Single((await SearchAsync(new SearchRequest("ancient"))).Hits);
        await Engine.Collections.DeleteAsync("c", default);
        await Engine.Store.CreateCollectionAsync("c");
        Assert.Empty((await SearchAsync(new SearchRequest("ancient"))).Hits);
    }
}

/// <summary>The persistent index across engine restarts: resume from its commit, rebuild when corrupt.</summary>
public sealed class PersistentIndexTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<IReadOnlyList<SearchHit>> SearchAsync(SearchEngine engine, string query)
    {
        await engine.Indexes.CatchUpAsync("c", default);
        return (await engine.Search.SearchAsync("c", new SearchRequest(query, 10))).Hits;
    }

    [Fact]
    public async Task A_restarted_engine_resumes_from_the_commit_and_applies_later_writes()
    {
        await using (var first = await SearchEngine.OpenAsync(EngineTest.OnDemand(_dir.Path)))
        {
            await first.Store.CreateCollectionAsync("c");
            for (int i = 0; i < 5; i++) await TestDocuments.AddAsync(first, "d" + i, "shared word w" + i);
            Assert.Equal(5, (await SearchAsync(first, "shared")).Count);
        }
        Assert.Single(Directory.GetFiles(Path.Combine(_dir.Path, "index", "sqlite"), "manifest", SearchOption.AllDirectories));
        await using var second = await SearchEngine.OpenAsync(EngineTest.OnDemand(_dir.Path));
        // Opening reads the commit: what was searchable is, before anything is applied.
        Assert.Equal(5, (await second.Search.SearchAsync("c", new SearchRequest("shared", 10))).Hits.Count);
        await TestDocuments.AddAsync(second, "d5", "shared word w5");
        Assert.NotNull(await second.Store.DeleteDocumentAsync("c", "d0"));
        var hits = await SearchAsync(second, "shared");
        Assert.Equal(["d1", "d2", "d3", "d4", "d5"], hits.Select(h => h.DocumentId).Order());
        Assert.All(hits, h => Assert.Equal("Title " + h.DocumentId, h.Title));
    }

    [Fact]
    public async Task A_corrupt_index_is_rebuilt_from_the_store_and_committed_at_once()
    {
        await using (var first = await SearchEngine.OpenAsync(EngineTest.OnDemand(_dir.Path)))
        {
            await first.Store.CreateCollectionAsync("c");
            for (int i = 0; i < 5; i++) await TestDocuments.AddAsync(first, "d" + i, "shared word w" + i);
            await SearchAsync(first, "shared");
        }
        var segment = Directory.GetFiles(Path.Combine(_dir.Path, "index"), "*.sgi", SearchOption.AllDirectories).First();
        var bytes = File.ReadAllBytes(segment);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(segment, bytes);
        // In the background, with commits due only hourly: the rebuild still commits as soon as it is built.
        var background = new EngineOptions
        {
            DataDirectory = _dir.Path,
            Indexing = new IndexingOptions { LexicalCommitInterval = TimeSpan.FromHours(1), DenseCommitInterval = TimeSpan.FromHours(1) },
        };
        await using var second = await SearchEngine.OpenAsync(background);
        await second.Indexes.StartAsync(default);
        long latest = await second.Store.GetLastChangeAsync("c");
        await second.Indexes.WaitIndexedAsync("c", latest, default);
        Assert.Equal(5, (await second.Search.SearchAsync("c", new SearchRequest("shared", 10))).Hits.Count);
        // Searchable first, durable a moment later (never an hour later, when the next commit would be due).
        while ((await second.Indexes.StatusAsync("c", default)).Serving.Stages.Single(s => s.Name == LexicalStage.StageName).Checkpoint < latest)
            await Task.Delay(10);
        string manifest = Directory.GetFiles(Path.Combine(_dir.Path, "index"), "manifest", SearchOption.AllDirectories).Single();
        Assert.Equal(latest, Indexing.Lexical.IndexManifest.Read(manifest).Sequence);
    }
}
