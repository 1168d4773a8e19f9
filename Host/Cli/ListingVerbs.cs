using Search.Client;
using Search.Indexing.Pipeline;
using Search.Ranking;

namespace Search.Cli;

/// <summary><c>./search collections</c> and <c>./search tasks</c>: what is stored, what is searchable, what ran (from the store, or a service with <c>--service</c>).</summary>
public static class ListingVerbs
{
    /// <summary>Lists collections, or shows one with its indexing stages.</summary>
    public static async Task<int> CollectionsAsync(CliArguments a, CancellationToken ct)
    {
        using var remote = RemoteService.Connect(a);
        var options = remote is null ? EngineSettings.From(a, IndexingMode.ReadOnly) : null;
        a.RejectUnknown();
        string? name = a.Positional.Count > 0 ? a.Positional[0] : null;
        IReadOnlyList<Collection> list = [];
        Collection? one = null;
        if (remote is not null)
        {
            if (name is null) list = await remote.ListCollectionsAsync(ct);
            else one = await remote.GetCollectionAsync(name, ct);
        }
        else
        {
            await using var engine = await SearchEngine.OpenAsync(options!, ct: ct);
            if (name is null) list = [.. (await engine.Collections.ListAsync(ct)).Select(ClientViews.From)];
            else one = ClientViews.From(await engine.Collections.GetAsync(name, ct));
        }
        if (one is null)
        {
            foreach (var c in list) Console.WriteLine($"{c.Name}\t{c.Documents} documents");
            return 0;
        }
        Console.WriteLine($"{one.Name}: {one.Documents} documents ({one.Segments} segments) stored, change log at {one.LatestChange}");
        if (one.Index is { } index)
        {
            Console.WriteLine($"generation {index.Generation}{(index.Owned ? "" : " (maintained by another process)")}");
            foreach (var s in index.Stages)
                Console.WriteLine($"  {s.Name,-8} {s.Documents} documents searchable, {s.Segments} of {one.Segments} segments indexed, through change {s.Sequence} ({s.PendingChanges} pending){(s.Error is null ? "" : "  failing: " + s.Error)}");
        }
        return 0;
    }

    /// <summary>Lists bulk tasks, or shows one with its errors and what of it is searchable.</summary>
    public static async Task<int> TasksAsync(CliArguments a, CancellationToken ct)
    {
        using var remote = RemoteService.Connect(a);
        var options = remote is null ? EngineSettings.From(a, IndexingMode.ReadOnly) : null;
        a.RejectUnknown();
        string? id = a.Positional.Count > 0 ? a.Positional[0] : null;
        IReadOnlyList<BulkTask> list = [];
        TaskDetails? view = null;
        if (remote is not null)
        {
            if (id is null) list = await remote.ListTasksAsync(50, ct);
            else view = await remote.GetTaskDetailsAsync(id, ct: ct);
        }
        else
        {
            await using var engine = await SearchEngine.OpenAsync(options!, ct: ct);
            if (id is null) list = [.. (await engine.Tasks.ListAsync(50, ct)).Select(ClientViews.From)];
            else view = ClientViews.From(await engine.Tasks.GetAsync(id, ct));
        }
        if (view is null)
        {
            foreach (var t in list)
                Console.WriteLine($"{t.Id}  {t.Collection}  {t.State,-9}  {t.Done + t.Failed}/{t.Total} ({t.Failed} failed)  {t.CreatedAt:u}");
            return 0;
        }
        var task = view.Task;
        Console.WriteLine($"{task.Id}  {task.Collection}  {task.State}  {task.Done} done, {task.Failed} failed of {task.Total}{(task.Error is null ? "" : "  " + task.Error)}");
        if (view.Searchable is { } searchable)
            Console.WriteLine("  searchable: " + string.Join(", ", searchable.Select(s => $"{s.Value} of {task.Done} through {s.Key}"
                + (view.SearchableSegments is { } segments && segments.TryGetValue(s.Key, out long n) ? $" ({n} of {view.Segments} segments)" : ""))));
        foreach (var e in view.Errors) Console.WriteLine($"  item {e.Item}: {e.Error}");
        return 0;
    }
}
