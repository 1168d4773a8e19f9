using Search.Indexing.Ingestion;
using Search.Indexing.Pipeline;
using Search.Ranking;

namespace Search.Cli;

/// <summary>
/// <c>./search ingest</c>: stores files as a bulk task with a progress bar, then makes them searchable. When no service
/// maintains the collection's indexes this process indexes them itself; when one does, it indexes them and
/// <c>--wait</c> waits until it has.
/// </summary>
public static class IngestVerb
{
    /// <summary>Runs the verb.</summary>
    public static async Task<int> RunAsync(CliArguments a, CancellationToken ct)
    {
        string collection = Ranking.Collections.CollectionService.ValidateName(a.Require("collection"));
        bool wait = a.Flag("wait");
        var options = EngineSettings.From(a, IndexingMode.OnDemand);
        a.RejectUnknown();
        if (a.Positional.Count == 0) throw new UsageException("name the files, directories or globs to ingest");
        await using var engine = await SearchEngine.OpenAsync(options, ct: ct);
        if (await engine.Collections.EnsureAsync(collection, null, ct)) Console.Error.WriteLine($"created collection '{collection}' (embedder {engine.Embedders.DefaultName})");
        var task = await engine.Tasks.QueuePathsAsync(collection, a.Positional, ct);
        var bar = new ProgressBar("ingest");
        var final = await engine.TaskRunner.RunAsync(task.Id, new SyncProgress<TaskProgress>(p => bar.Report(p.Done + p.Failed, p.Total, p.Failed, p.CurrentItem)), ct);
        bar.Finish();
        Console.WriteLine($"task {final.Id}: {final.State.ToString().ToLowerInvariant()}, {final.Done} ingested, {final.Failed} failed, {final.Total} total");
        long latest = await engine.Collections.LatestChangeAsync(collection, ct);
        if (await engine.Indexes.OwnsAsync(collection, ct))
        {
            Console.Error.WriteLine($"indexing '{collection}'…");
            await engine.Indexes.CatchUpAsync(collection, ct);
            Console.WriteLine($"searchable: every change of '{collection}' through {latest}");
        }
        else if (wait)
        {
            Console.Error.WriteLine($"waiting for the service that maintains the indexes of '{collection}'…");
            await engine.Indexes.WaitIndexedAsync(collection, latest, ct);
            Console.WriteLine($"searchable: every change of '{collection}' through {latest}");
        }
        else
        {
            Console.WriteLine($"stored; the service that maintains the indexes of '{collection}' makes them searchable (--wait waits for it)");
        }
        if (final.Failed == 0) return 0;
        foreach (var error in (await engine.Tasks.GetAsync(final.Id, ct)).Errors)
            await Console.Error.WriteLineAsync($"  failed: {error.Error}");
        return 2;
    }
}
