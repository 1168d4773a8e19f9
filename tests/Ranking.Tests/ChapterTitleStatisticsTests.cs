using System.Text.Json;
using Search.Indexing.Extraction;

namespace Search.Ranking.Tests;

/// <summary>Transcript chapter titles weighed against the collection the transcript joins.</summary>
public sealed class ChapterTitleStatisticsTests : EngineTest
{
    // An episode that opens with the sponsor read every episode of the show has, then its own topic.
    private static string Episode(string id) => JsonSerializer.Serialize(new
    {
        id,
        title = "Episode " + id,
        turns = new[]
        {
            new { start = 0.0, end = 5.0, speaker = "Host", text = "Thanks to our sponsor Acme Mattress for supporting the show." },
            new { start = 5.0, end = 9.0, speaker = "Host", text = "Go to the website of our sponsor Acme Mattress today." },
            new { start = 9.0, end = 12.0, speaker = "Host", text = "Once more, our sponsor Acme Mattress." },
            new { start = 12.0, end = 20.0, speaker = "Guest", text = "Today the lunar rover wheels keep cracking on the regolith." },
            new { start = 20.0, end = 28.0, speaker = "Guest", text = "Engineers redesigned the lunar rover wheels with titanium springs." },
        },
    });

    private async Task<string> ChapterTitleAsync(string id)
    {
        await Engine.Ingestion.IngestJsonAsync("c", JsonDocumentReader.Parse(Episode(id), id, id), explicitId: true);
        var doc = await Engine.Store.GetDocumentAsync("c", id);
        var segments = await Engine.Store.GetSegmentsAsync([doc!.Id]);
        return Assert.Single(segments.Select(s => s.Chapter!.Title).Distinct());
    }

    [Fact]
    public async Task Once_the_collection_is_indexed_its_common_words_stop_leading_chapter_titles()
    {
        // Before the collection's index is open there are no statistics: the most repeated phrase leads.
        Assert.StartsWith("Sponsor acme mattress", await ChapterTitleAsync("first"), StringComparison.Ordinal);
        // Sixty earlier episodes of the show, each with the sponsor read and a different topic.
        for (int i = 0; i < 60; i++)
            await TestDocuments.AddAsync(Engine, "old" + i, $"Thanks to our sponsor Acme Mattress. Episode {i} is about topic{i} and subject{i}.");
        await Engine.Search.SearchAsync("c", new SearchRequest("mattress", K: 1));
        Assert.StartsWith("Lunar rover wheels", await ChapterTitleAsync("latest"), StringComparison.Ordinal);
    }
}
