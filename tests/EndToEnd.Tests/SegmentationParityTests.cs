using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Search.TestSupport;

namespace Search.EndToEnd.Tests;

/// <summary>
/// Segmentation is a function of the document and the statistics its collection published, whatever process runs it:
/// the command line and the service cut the same document into the same segments, chapters and titles.
/// </summary>
public class SegmentationParityTests
{
    // An episode that opens with the sponsor read every episode of the show has, then its own topic.
    private const string Episode = """
        {"title": "Episode 61", "turns": [
          {"start": 0, "end": 5, "speaker": "Host", "text": "Thanks to our sponsor Acme Mattress for supporting the show."},
          {"start": 5, "end": 9, "speaker": "Host", "text": "Go to the website of our sponsor Acme Mattress today."},
          {"start": 9, "end": 12, "speaker": "Host", "text": "Once more, our sponsor Acme Mattress."},
          {"start": 12, "end": 20, "speaker": "Guest", "text": "Today the lunar rover wheels keep cracking on the regolith."},
          {"start": 20, "end": 28, "speaker": "Guest", "text": "Engineers redesigned the lunar rover wheels with titanium springs."}]}
        """;

    [Fact]
    public async Task The_command_line_and_the_service_segment_a_document_identically_with_the_collections_statistics()
    {
        using var dir = new TempDirectory();
        string data = dir.File("data");
        // Sixty earlier episodes of the show, indexed by the command line, which publishes the collection's statistics.
        var show = new StringBuilder();
        for (int i = 0; i < 60; i++)
            show.Append(JsonSerializer.Serialize(new { _id = "old" + i, title = "Episode " + i, text = $"Thanks to our sponsor Acme Mattress. Episode {i} is about topic{i} and subject{i}." })).Append('\n');
        var seeded = await SearchProcess.RunAsync(data, "ingest", dir.Write("show.jsonl", show.ToString()), "--collection", "shows");
        Assert.True(seeded.ExitCode == 0, seeded.Stderr);
        string episode = dir.Write("episode-61.json", Episode);

        var (server, http) = await SearchProcess.ServeAsync(data);
        try
        {
            var statistics = (await http.GetFromJsonAsync<JsonElement>("/collections/shows")).GetProperty("statistics");
            Assert.Equal(JsonValueKind.Object, statistics.ValueKind);
            int version = statistics.GetProperty("version").GetInt32();

            // The same file through the command line (while the service maintains the indexes) and through the service.
            var cli = await SearchProcess.RunAsync(data, "ingest", episode, "--collection", "shows", "--wait");
            Assert.True(cli.ExitCode == 0, cli.Stderr);
            using (var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(episode)), "file", "episode-61.json" }, { new StringContent("via-service"), "id" } })
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/collections/shows/documents/upload", form)).StatusCode);
            // A collection with no statistics cuts it otherwise: the statistics are what the two processes shared.
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/collections", new { name = "fresh" })).StatusCode);
            using (var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(episode)), "file", "episode-61.json" }, { new StringContent("alone"), "id" } })
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/collections/fresh/documents/upload", form)).StatusCode);
            Assert.Equal(version, (await http.GetFromJsonAsync<JsonElement>("/collections/shows")).GetProperty("statistics").GetProperty("version").GetInt32());

            var viaCli = await SegmentsAsync(http, "shows", episode);
            var viaService = await SegmentsAsync(http, "shows", "via-service");
            var alone = await SegmentsAsync(http, "fresh", "alone");
            Assert.NotEmpty(viaCli);
            Assert.Equal(viaCli, viaService);
            Assert.NotEqual(viaCli, alone);
            Assert.StartsWith("Lunar rover wheels", viaCli[^1].Chapter, StringComparison.Ordinal);
            Assert.StartsWith("Sponsor acme mattress", alone[^1].Chapter, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            http.Dispose();
        }
    }

    private sealed record SegmentFacts(string Text, string SectionPath, double? Start, double? End, string? Chapter);

    private static async Task<List<SegmentFacts>> SegmentsAsync(HttpClient http, string collection, string id)
    {
        var doc = await http.GetFromJsonAsync<JsonElement>($"/collections/{collection}/documents/{Uri.EscapeDataString(id)}");
        var list = new List<SegmentFacts>();
        foreach (var s in doc.GetProperty("segments").EnumerateArray())
        {
            var chapter = s.GetProperty("chapter");
            list.Add(new SegmentFacts(s.GetProperty("text").GetString()!, s.GetProperty("sectionPath").GetString()!,
                s.GetProperty("startSeconds").ValueKind == JsonValueKind.Number ? s.GetProperty("startSeconds").GetDouble() : null,
                s.GetProperty("endSeconds").ValueKind == JsonValueKind.Number ? s.GetProperty("endSeconds").GetDouble() : null,
                chapter.ValueKind == JsonValueKind.Object ? chapter.GetProperty("title").GetString() : null));
        }
        return list;
    }
}
