using System.Net.Http.Json;
using System.Text.Json;
using Search.GpuAttention;
using Search.Ranking.Reranking.InContext;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>Ranked searches through an in-context ranker (the tiny Llama fixture) and its passage-KV store, seen through REST.</summary>
public sealed class InContextRankingTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync(_dir.Path, configure: o => o with
    {
        RankerModelPath = Path.Combine(RepoPaths.Root, "tests", "Models.Tests", "Fixtures", "tiny-llama"),
        InContextRanker = new InContextRankerOptions { Layer = 1, Depth = 5, Precision = KvPrecision.Float16 },
    });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Ranked_searches_carry_the_rankers_scores_and_the_store_serves_repeated_passages()
    {
        var http = _host.Client;
        Assert.True((await http.PostAsJsonAsync("/collections", new { name = "c" })).IsSuccessStatusCode);
        for (int i = 0; i < 6; i++)
        {
            var write = await http.PostAsJsonAsync("/collections/c/documents?wait=indexed",
                new { id = $"d{i}", title = $"Clause {i}", text = $"Section {i}. A refund is due {i + 1} days after termination of plan {i}." });
            Assert.True(write.IsSuccessStatusCode, await write.Content.ReadAsStringAsync());
        }
        var first = await http.GetFromJsonAsync<JsonElement>("/collections/c/search?q=refund+after+termination&mode=ranked&k=6");
        Assert.Empty(first.GetProperty("warnings").EnumerateArray());
        var hits = first.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(6, hits.Count);
        // The ranker re-scores the top 5 hybrid candidates; the sixth keeps its hybrid place below them.
        Assert.Equal(5, hits.Count(h => h.GetProperty("components").TryGetProperty("ranker", out _)));
        Assert.False(hits[5].GetProperty("components").TryGetProperty("ranker", out _));

        var ranker = await http.GetFromJsonAsync<JsonElement>("/admin/ranker");
        Assert.StartsWith("in-context tiny-llama (layer 1)", ranker.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.Equal("cpu", ranker.GetProperty("attention").GetString());
        Assert.Equal("cpu", ranker.GetProperty("layers").GetString());
        var kv = ranker.GetProperty("passageKv");
        Assert.Equal((5, 0L), (kv.GetProperty("misses").GetInt32(), kv.GetProperty("hits").GetInt64()));
        Assert.Equal(5, kv.GetProperty("diskEntries").GetInt32());

        // The same candidates for another query come from the store, and the documents' K/V files live in the data directory.
        await http.GetFromJsonAsync<JsonElement>("/collections/c/search?q=refund+termination+plan&mode=ranked&k=6");
        kv = (await http.GetFromJsonAsync<JsonElement>("/admin/ranker")).GetProperty("passageKv");
        Assert.True(kv.GetProperty("hits").GetInt64() >= 4, kv.ToString());
        Assert.True(kv.GetProperty("hitRate").GetDouble() > 0.3, kv.ToString());
        Assert.Equal(kv.GetProperty("diskEntries").GetInt32(),
            Directory.EnumerateFiles(Path.Combine(ApiHost.DataDirectory(_dir.Path), "passage-kv"), "*.kv", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task A_reindex_reuses_unchanged_passages_and_an_updated_one_is_encoded_again()
    {
        var http = _host.Client;
        Assert.True((await http.PostAsJsonAsync("/collections", new { name = "r" })).IsSuccessStatusCode);
        for (int i = 0; i < 4; i++)
            Assert.True((await http.PostAsJsonAsync("/collections/r/documents?wait=indexed", new { id = $"d{i}", title = $"Note {i}", text = $"Harbour note {i}: the ferry leaves at {i + 6} o'clock." })).IsSuccessStatusCode);
        const string Query = "/collections/r/search?q=ferry+harbour&mode=ranked&k=4";
        await http.GetFromJsonAsync<JsonElement>(Query);
        long misses = (await Kv()).GetProperty("misses").GetInt64();
        Assert.Equal(4, misses);

        // A reindex builds generation 2 from the same segments: ranked searches on it encode nothing again.
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await http.PostAsync("/admin/collections/r/reindex", null)).StatusCode);
        while ((await http.GetFromJsonAsync<JsonElement>("/collections/r/search?q=ferry")).GetProperty("index").GetProperty("generation").GetInt32() != 2)
            await Task.Delay(50);
        var afterReindex = await http.GetFromJsonAsync<JsonElement>(Query);
        Assert.Empty(afterReindex.GetProperty("warnings").EnumerateArray());
        Assert.Equal(misses, (await Kv()).GetProperty("misses").GetInt64());

        // Changing one document's text gives its passage a new key: it is encoded again, the others are reused.
        Assert.True((await http.PostAsJsonAsync("/collections/r/documents?wait=indexed", new { id = "d2", title = "Note 2", text = "Harbour note 2: the ferry is cancelled today." })).IsSuccessStatusCode);
        await http.GetFromJsonAsync<JsonElement>(Query);
        Assert.Equal(misses + 1, (await Kv()).GetProperty("misses").GetInt64());
    }

    private async Task<JsonElement> Kv() => (await _host.Client.GetFromJsonAsync<JsonElement>("/admin/ranker")).GetProperty("passageKv");
}
