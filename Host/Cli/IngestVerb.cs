using Search.Client;
using Search.Indexing.Extraction;
using Search.Indexing.Ingestion;
using Search.Indexing.Pipeline;
using Search.Ranking;

namespace Search.Cli;

/// <summary>
/// <c>./search ingest</c>: stores files as a bulk task with a progress bar, then makes them searchable. When no service
/// maintains the collection's indexes this process indexes them itself; when one does, it indexes them and
/// <c>--wait</c> waits until it has. With <c>--service URL</c> the files are sent to that service instead (uploads,
/// and JSON lines files as bulk tasks), so its machine needs no access to them.
/// </summary>
public static class IngestVerb
{
    /// <summary>Runs the verb.</summary>
    public static async Task<int> RunAsync(CliArguments a, CancellationToken ct)
    {
        string collection = Ranking.Collections.CollectionService.ValidateName(a.Require("collection"));
        bool wait = a.Flag("wait");
        using var remote = RemoteService.Connect(a);
        var options = EngineSettings.From(a, IndexingMode.OnDemand);
        a.RejectUnknown();
        if (a.Positional.Count == 0) throw new UsageException("name the files, directories or globs to ingest");
        if (remote is not null) return await SendAsync(remote, collection, a.Positional, options.Ingestion, wait, ct);
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

    // Each file is uploaded (its absolute path as its id, as a local ingest names it); a JSON lines file is one bulk
    // task of its lines. A file the service refuses is counted and reported, and the rest still go.
    private static async Task<int> SendAsync(SearchClient service, string collection, IReadOnlyList<string> paths, IngestionOptions ingestion, bool wait, CancellationToken ct)
    {
        var files = PathExpansion.Expand(paths, ExtractorRegistry.Default, IngestRoots.Unrestricted, ingestion.PathLimits, ct);
        if (files.Count == 0) throw new ArgumentException("no file matched");
        try
        {
            await service.GetCollectionAsync(collection, ct);
        }
        catch (SearchNotFoundException)
        {
            var created = await service.CreateCollectionAsync(collection, ct: ct);
            Console.Error.WriteLine($"created collection '{collection}' (embedder {created.Embedder})");
        }
        var bar = new ProgressBar("ingest");
        var failures = new List<string>();
        var tasks = new List<string>();
        int done = 0;
        foreach (string file in files)
        {
            bar.Report(done + failures.Count, files.Count, failures.Count, file);
            try
            {
                if (ExtractorRegistry.JsonLinesExtensions.Contains(Path.GetExtension(file).ToLowerInvariant()))
                {
                    await foreach (var chunk in LineChunks(file, ct)) tasks.Add((await service.BulkLinesAsync(collection, chunk, ct)).Id);
                }
                else
                {
                    await using var stream = File.OpenRead(file);
                    await service.UploadAsync(collection, Path.GetFileName(file), stream, id: file, ct: ct);
                }
                done++;
            }
            catch (Exception e) when (e is SearchRequestException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{file}: {(e is SearchApiException api ? api.Detail : e.Message)}");
            }
        }
        bar.Report(done + failures.Count, files.Count, failures.Count);
        bar.Finish();
        Console.WriteLine($"sent {done} of {files.Count} files to the service ({tasks.Count} as bulk tasks), {failures.Count} failed");
        if (wait)
        {
            // A bulk task's lines are stored by the service's worker: wait for each, then for the indexes to take in everything.
            foreach (string id in tasks)
            {
                var task = await service.GetTaskDetailsAsync(id, waitIndexed: true, ct: ct);
                foreach (var e in task.Errors) failures.Add($"task {task.Task.Id} item {e.Item}: {e.Error}");
            }
            await service.WaitIndexedAsync(collection, ct);
            Console.WriteLine($"searchable: everything sent to '{collection}'");
        }
        else
        {
            Console.WriteLine($"stored; the service makes them searchable (--wait waits for it)");
        }
        foreach (string failure in failures) await Console.Error.WriteLineAsync($"  failed: {failure}");
        return failures.Count == 0 ? 0 : 2;
    }

    // A JSON lines file as bulk bodies of whole lines, each well under the service's bulk limit (64 MiB by default).
    private const int ChunkBytes = 16 << 20;

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> LineChunks(string file, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(file);
        using var chunk = new MemoryStream();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0) continue;
            chunk.Write(System.Text.Encoding.UTF8.GetBytes(line));
            chunk.WriteByte((byte)'\n');
            if (chunk.Length < ChunkBytes) continue;
            yield return chunk.ToArray();
            chunk.SetLength(0);
        }
        if (chunk.Length > 0) yield return chunk.ToArray();
    }
}
