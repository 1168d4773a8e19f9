using Search.Indexing.Pipeline;
using Search.Indexing.Storage;
using Search.Ranking;

namespace Search.Cli;

/// <summary><c>./search reindex</c>: builds the next generation of a collection's indexes while the current one serves, then swaps them.</summary>
public static class ReindexVerb
{
    /// <summary>Runs the verb.</summary>
    public static async Task<int> RunAsync(CliArguments a, CancellationToken ct)
    {
        string collection = a.Require("collection");
        var options = EngineSettings.From(a, IndexingMode.OnDemand);
        a.RejectUnknown();
        await using var engine = await SearchEngine.OpenAsync(options, ct: ct);
        if (!await engine.Indexes.OwnsAsync(collection, ct))
            throw new ConflictException($"the indexes of '{collection}' are maintained by another process (a running service?); reindex through it: POST /admin/collections/{collection}/reindex");
        var reindex = await engine.Indexes.StartReindexAsync(collection, ct);
        var bar = new ProgressBar($"reindex gen {reindex.Started.Id}");
        while (!reindex.Completion.IsCompleted)
        {
            var building = (await engine.Indexes.GenerationsAsync(collection, ct)).FirstOrDefault(g => g.Id == reindex.Started.Id);
            if (building is not null) bar.Report((int)(building.Progress * 1000), 1000);
            await Task.WhenAny(reindex.Completion, Task.Delay(100, ct));
        }
        var done = await reindex.Completion;
        bar.Report(1000, 1000);
        bar.Finish();
        Console.WriteLine($"generation {done.Id} serves '{collection}': {done.Segments} segments, {done.SizeBytes / 1048576.0:0.0} MiB, change sequence {done.Sequence}");
        return 0;
    }
}
