using Microsoft.Data.Sqlite;
using Search.Indexing.Pipeline;
using Search.Ranking;

namespace Search.Evaluation;

/// <summary>
/// Runs an evaluation in a fresh embedded store in a temporary folder, so it never touches anyone's data: documents
/// are ingested first and the indexing pipeline then runs on demand, so every stage sees the whole collection when it
/// builds, whatever the machine's speed.
/// </summary>
public static class ScratchEngine
{
    /// <summary>
    /// Runs the whole product path once on a throwaway collection of <paramref name="documents"/> (ingest, every
    /// indexing stage, a few searches in <paramref name="mode"/>), so the code is compiled before anything is timed:
    /// the first timed query of the evaluated collection then shows whether it waited for indexing, not for the JIT.
    /// The evaluated collection itself is never touched before its first timed query.
    /// </summary>
    public static async Task WarmUpAsync(SearchEngine engine, IReadOnlyList<Indexing.Extraction.JsonDocumentInput> documents, IReadOnlyList<string> queries, string mode, CancellationToken ct)
    {
        string collection = "warmup-" + Guid.NewGuid().ToString("N")[..8];
        await engine.Store.CreateCollectionAsync(collection, ct: ct);
        foreach (var d in documents) await engine.Ingestion.IngestJsonAsync(collection, d, explicitId: d.Id is not null, ct);
        await engine.Indexes.CatchUpAsync(collection, ct);
        foreach (var q in queries)
        {
            await engine.Search.RankDocumentsAsync(collection, q, 10, mode, ct);
            await engine.Search.SearchAsync(collection, new SearchRequest(q, 10, Mode: mode), ct);
        }
        await engine.Collections.DeleteAsync(collection, ct);
    }

    /// <summary>Opens the scratch engine with <paramref name="options"/>' settings, runs <paramref name="run"/>, and removes the folder.</summary>
    public static async Task RunAsync(EngineOptions options, Func<SearchEngine, Task> run, CancellationToken ct)
    {
        string temp = Path.Combine(Path.GetTempPath(), "search-eval-" + Guid.NewGuid().ToString("N"));
        try
        {
            var scratch = options with
            {
                Store = StoreKind.Sqlite,
                DataDirectory = temp,
                Durable = false,
                Indexing = options.Indexing with { Mode = IndexingMode.OnDemand },
            };
            await using var engine = await SearchEngine.OpenAsync(scratch, ct: ct);
            await run(engine);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
    }
}
