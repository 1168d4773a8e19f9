namespace Search.Ranking.Tests;

/// <summary>Writes JSON documents through the engine's real ingestion path.</summary>
internal static class TestDocuments
{
    /// <summary>Ingests a document with id, title "Title {id}" and text into collection "c".</summary>
    public static Task AddAsync(SearchEngine engine, string id, string text) =>
        engine.Ingestion.IngestJsonAsync("c", Indexing.Extraction.JsonDocumentReader.Parse(
            System.Text.Json.JsonSerializer.Serialize(new { id, title = "Title " + id, text }), id, id), explicitId: true);
}
