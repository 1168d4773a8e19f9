using Search.Client;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;
using Search.Ranking;

namespace Search.Cli;

/// <summary>
/// <c>./search reindex</c>: builds the next generation of a collection's indexes while the current one serves, then
/// swaps them; in this process when it maintains the indexes, or through the service that does with <c>--service</c>.
/// </summary>
public static class ReindexVerb
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Runs the verb.</summary>
    public static async Task<int> RunAsync(CliArguments a, CancellationToken ct)
    {
        string collection = a.Require("collection");
        using var remote = RemoteService.Connect(a);
        var options = remote is null ? EngineSettings.From(a, IndexingMode.OnDemand) : null;
        a.RejectUnknown();
        if (remote is not null) return await RemoteAsync(remote, collection, ct);
        await using var engine = await SearchEngine.OpenAsync(options!, ct: ct);
        if (!await engine.Indexes.OwnsAsync(collection, ct))
            throw new ConflictException($"the indexes of '{collection}' are maintained by another process (a running service?); reindex through it: ./search reindex --collection {collection} --service URL");
        var reindex = await engine.Indexes.StartReindexAsync(collection, ct);
        var bar = new ProgressBar($"reindex gen {reindex.Started.Id}");
        while (!reindex.Completion.IsCompleted)
        {
            var building = (await engine.Indexes.GenerationsAsync(collection, ct)).FirstOrDefault(g => g.Id == reindex.Started.Id);
            if (building is not null) bar.Report((int)(building.Progress * 1000), 1000);
            await Task.WhenAny(reindex.Completion, Task.Delay(Poll, ct));
        }
        var done = await reindex.Completion;
        bar.Report(1000, 1000);
        bar.Finish();
        Report(collection, done.Id, done.Segments, done.SizeBytes, done.Sequence);
        return 0;
    }

    // The service builds the generation; this follows it until it serves (or is retired without serving: it failed).
    private static async Task<int> RemoteAsync(SearchClient service, string collection, CancellationToken ct)
    {
        var started = await service.ReindexAsync(collection, ct);
        var bar = new ProgressBar($"reindex gen {started.Id}");
        while (true)
        {
            var generation = (await service.GenerationsAsync(collection, ct)).FirstOrDefault(g => g.Id == started.Id);
            if (generation is null || generation.State == "retired")
            {
                bar.Finish();
                await Console.Error.WriteLineAsync($"search: generation {started.Id} of '{collection}' did not come to serve; the service's log says why");
                return 1;
            }
            bar.Report((int)(generation.Progress * 1000), 1000);
            if (generation.State == "serving")
            {
                bar.Finish();
                Report(collection, generation.Id, generation.Segments, generation.SizeBytes, generation.Sequence);
                return 0;
            }
            await Task.Delay(Poll, ct);
        }
    }

    private static void Report(string collection, int id, long segments, long sizeBytes, long sequence) =>
        Console.WriteLine($"generation {id} serves '{collection}': {segments} segments, {sizeBytes / 1048576.0:0.0} MiB, change sequence {sequence}");
}
