using System.Text.Json;
using Search.Client;
using Search.Indexing.Pipeline;
using Search.Ranking;

namespace Search.Cli;

/// <summary>
/// <c>./search query</c>: one search over the last commit of the collection's indexes (a query never indexes), from
/// the store, or through a running service with <c>--service</c>.
/// </summary>
public static class QueryVerb
{
    /// <summary>Runs the verb.</summary>
    public static async Task<int> RunAsync(CliArguments a, CancellationToken ct)
    {
        string collection = a.Require("collection");
        int k = a.GetInt("k", 10, 1, SearchService.MaxK);
        bool documents = a.Flag("documents"), json = a.Flag("json");
        string mode = EngineSettings.Mode(a);
        var filters = SearchFilters.Parse(a.GetAll("filter"));
        using var remote = RemoteService.Connect(a);
        var options = remote is null ? EngineSettings.From(a, IndexingMode.ReadOnly, ranks: true) : null;
        a.RejectUnknown();
        string text = string.Join(' ', a.Positional);
        if (string.IsNullOrWhiteSpace(text)) throw new UsageException("give the query text");
        SearchResult result;
        if (remote is not null)
        {
            result = await remote.SearchAsync(collection, new SearchQuery(text, k, mode, documents, filters), ct);
        }
        else
        {
            await using var engine = await SearchEngine.OpenAsync(options!, ct: ct);
            // Loaded before the query, so its time limit is spent ranking, not loading models.
            if (mode == SearchModes.Ranked && engine.Search.Ranker is { } ranker) await ranker.PrepareAsync(ct);
            result = ClientViews.From(await engine.Search.SearchAsync(collection, new SearchRequest(text, k, documents, filters, mode), ct));
        }
        foreach (var warning in result.Warnings) await Console.Error.WriteLineAsync("note: " + warning);
        long behind = result.Index.LatestChange - Math.Min(result.Index.Lexical, mode == SearchModes.Bm25 ? long.MaxValue : result.Index.Dense);
        if (behind > 0)
            await Console.Error.WriteLineAsync($"note: the index of '{collection}' has not applied its last {behind} change(s) yet; they are searchable once the process that indexes it (./search serve, or ./search ingest) has");
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, Verbs.WebJson));
            return 0;
        }
        if (result.Hits.Count == 0) Console.WriteLine("no results");
        foreach (var h in result.Hits)
        {
            string where = h.SectionPath.Length > 0 ? $" › {h.SectionPath}" : "";
            if (h.Chapter is { } chapter)
                where += $" › {chapter.Title}" + (chapter.StartSeconds is double cs ? $" ({TranscriptTime.Format(cs)}–{TranscriptTime.Format(chapter.EndSeconds ?? cs)})" : "");
            string time = h.StartSeconds is double s ? $" [{TranscriptTime.Format(s)}–{TranscriptTime.Format(h.EndSeconds ?? s)}]" : "";
            Console.WriteLine($"{h.Rank,3}. {h.Score:0.000}  {h.Title}{where}{time}  ({h.DocumentId} #{h.Segment})");
            // The part that answers, when the passage has one, else its start.
            string shown = h.Answer is { } answer ? h.Text[answer.Start..answer.End] : h.Text;
            string snippet = shown.Length > 300 ? shown[..300] + "…" : shown;
            Console.WriteLine("     " + snippet.Replace('\n', ' '));
        }
        return 0;
    }
}
