using Search.Indexing.Pipeline;
using Search.Ranking;

namespace Search.Cli;

/// <summary><c>./search collections</c> and <c>./search tasks</c>: what is stored, what is searchable, what ran.</summary>
public static class ListingVerbs
{
    /// <summary>Lists collections, or shows one with its indexing stages.</summary>
    public static async Task<int> CollectionsAsync(CliArguments a, CancellationToken ct)
    {
        var options = EngineSettings.From(a, IndexingMode.ReadOnly);
        a.RejectUnknown();
        await using var engine = await SearchEngine.OpenAsync(options, ct: ct);
        if (a.Positional.Count == 0)
        {
            foreach (var c in await engine.Collections.ListAsync(ct)) Console.WriteLine($"{c.Name}\t{c.Documents} documents");
            return 0;
        }
        var view = await engine.Collections.GetAsync(a.Positional[0], ct);
        Console.WriteLine($"{view.Name}: {view.Documents} documents ({view.Segments} segments) stored, change log at {view.LatestChange}");
        if (view.Index is { } index)
        {
            Console.WriteLine($"generation {index.Generation}{(index.Owned ? "" : " (maintained by another process)")}");
            foreach (var s in index.Stages)
                Console.WriteLine($"  {s.Name,-8} {s.Documents} documents searchable, {s.Segments} of {view.Segments} segments indexed, through change {s.Sequence} ({s.PendingChanges} pending){(s.Error is null ? "" : "  failing: " + s.Error)}");
        }
        return 0;
    }

    /// <summary>Lists bulk tasks, or shows one with its errors and what of it is searchable.</summary>
    public static async Task<int> TasksAsync(CliArguments a, CancellationToken ct)
    {
        var options = EngineSettings.From(a, IndexingMode.ReadOnly);
        a.RejectUnknown();
        await using var engine = await SearchEngine.OpenAsync(options, ct: ct);
        if (a.Positional.Count > 0)
        {
            var view = await engine.Tasks.GetAsync(a.Positional[0], ct);
            var t = view.Task;
            Console.WriteLine($"{t.Id}  {t.Collection}  {t.State.ToString().ToLowerInvariant()}  {t.Done} done, {t.Failed} failed of {t.Total}{(t.Error is null ? "" : "  " + t.Error)}");
            if (view.Searchable is { } searchable)
                Console.WriteLine("  searchable: " + string.Join(", ", searchable.Select(s => $"{s.Value} of {t.Done} through {s.Key}"
                    + (view.SearchableSegments is { } segments && segments.TryGetValue(s.Key, out long n) ? $" ({n} of {view.Segments} segments)" : ""))));
            foreach (var e in view.Errors) Console.WriteLine($"  item {e.Item}: {e.Error}");
            return 0;
        }
        foreach (var t in await engine.Tasks.ListAsync(50, ct))
            Console.WriteLine($"{t.Id}  {t.Collection}  {t.State.ToString().ToLowerInvariant(),-9}  {t.Done + t.Failed}/{t.Total} ({t.Failed} failed)  {t.CreatedAt:u}");
        return 0;
    }
}
