using Search.Indexing.Extraction;
using Search.Indexing.Storage;

namespace Search.Indexing.Ingestion;

/// <summary>Progress of a running bulk task.</summary>
public readonly record struct TaskProgress(int Done, int Failed, int Total, string? CurrentItem);

/// <summary>
/// Runs a bulk ingestion task item by item. Every item's outcome is committed before the next starts,
/// and a document write is idempotent, so a task interrupted anywhere resumes without duplicates.
/// </summary>
public sealed class BulkTaskRunner(IDocumentStore store, IngestionPipeline pipeline)
{
    private const int PageSize = 256;

    /// <summary>Runs (or resumes) a task to its end, or until <paramref name="ct"/> stops it, leaving it resumable.</summary>
    /// <summary>
    /// Whether this runner may carry out the task: false when a pending file item lies outside its ingest roots (a task
    /// the command line queued for its own files, left to the process that queued it rather than failed here).
    /// </summary>
    public async Task<bool> CanRunAsync(string taskId, CancellationToken ct = default)
    {
        var roots = pipeline.Options.Roots;
        if (roots.IsUnrestricted) return true;
        for (int from = 0; ; )
        {
            var items = await store.GetTaskItemsAsync(taskId, TaskItemState.Pending, from, PageSize, ct);
            if (items.Count == 0) return true;
            foreach (var item in items)
            {
                if (item.Kind != TaskItemKind.Path) continue;
                try
                {
                    roots.Locate(item.Payload);
                }
                catch (ArgumentException)
                {
                    return false;
                }
            }
            from = items[^1].Ordinal + 1;
        }
    }

    public async Task<IngestTask> RunAsync(string taskId, IProgress<TaskProgress>? progress = null, CancellationToken ct = default)
    {
        var task = await store.GetTaskAsync(taskId, ct) ?? throw new NotFoundException($"task '{taskId}' does not exist");
        if (task.State is TaskState.Succeeded or TaskState.Failed or TaskState.Cancelled) return task;
        await store.SetTaskStateAsync(taskId, TaskState.Running, null, ct);
        int done = task.Done, failed = task.Failed;
        int from = 0;
        try
        {
            while (true)
            {
                var items = await store.GetTaskItemsAsync(taskId, TaskItemState.Pending, from, PageSize, ct);
                if (items.Count == 0) break;
                foreach (var item in items)
                {
                    ct.ThrowIfCancellationRequested();
                    var current = await store.GetTaskAsync(taskId, ct);
                    if (current is null || current.CancelRequested)
                    {
                        if (current is not null) await store.SetTaskStateAsync(taskId, TaskState.Cancelled, null, CancellationToken.None);
                        return await store.GetTaskAsync(taskId, CancellationToken.None) ?? task;
                    }
                    progress?.Report(new TaskProgress(done, failed, task.Total, Describe(item)));
                    var (state, error, documentId, sequence) = await ProcessAsync(task.Collection, item, ct);
                    await store.CompleteTaskItemAsync(taskId, item.Ordinal, state, error, documentId, sequence, ct);
                    if (state == TaskItemState.Done) done++;
                    else failed++;
                    from = item.Ordinal + 1;
                }
            }
        }
        catch (NotFoundException e)
        {
            // A deleted collection cancels its tasks; an item that was running when it went is not a failure of the task.
            bool cancelled = (await store.GetTaskAsync(taskId, CancellationToken.None))?.CancelRequested ?? false;
            await store.SetTaskStateAsync(taskId, cancelled ? TaskState.Cancelled : TaskState.Failed, cancelled ? null : e.Message, CancellationToken.None);
            return await store.GetTaskAsync(taskId, CancellationToken.None) ?? task;
        }
        progress?.Report(new TaskProgress(done, failed, task.Total, null));
        var final = failed > 0 && done == 0 ? TaskState.Failed : TaskState.Succeeded;
        await store.SetTaskStateAsync(taskId, final, final == TaskState.Failed ? "every item failed" : null, ct);
        return (await store.GetTaskAsync(taskId, ct))!;
    }

    private static string Describe(TaskItem item) => item.Kind == TaskItemKind.Path ? item.Payload : $"line {item.Ordinal + 1}";

    /// <summary>An item's outcome: its state, error, the document id it wrote (one document) and the change sequence its documents need searchable.</summary>
    private async Task<(TaskItemState, string?, string?, long)> ProcessAsync(string collection, TaskItem item, CancellationToken ct)
    {
        try
        {
            if (item.Kind == TaskItemKind.Json)
            {
                var input = JsonDocumentReader.Parse(item.Payload, $"line {item.Ordinal + 1}", $"document {item.Ordinal + 1}");
                var outcome = await pipeline.IngestJsonAsync(collection, input, explicitId: true, ct);
                return (TaskItemState.Done, null, outcome.ExternalId, outcome.Sequence);
            }
            var results = await pipeline.IngestFileAsync(collection, item.Payload, ct);
            var errors = new List<string>();
            long sequence = 0;
            foreach (var r in results)
            {
                if (r.Error is not null) errors.Add(r.Error);
                if (r.Outcome is { } o) sequence = Math.Max(sequence, o.Sequence);
            }
            if (errors.Count == 0) return (TaskItemState.Done, null, results.Count == 1 ? results[0].Outcome!.ExternalId : null, sequence);
            string summary = $"{errors.Count} of {results.Count} documents failed: " + string.Join("; ", errors.Take(5)) + (errors.Count > 5 ? "; …" : "");
            return (TaskItemState.Failed, summary, null, sequence);
        }
        catch (Exception e) when (e is ExtractionException or InvalidDocumentException)
        {
            return (TaskItemState.Failed, e.Message, null, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (TaskItemState.Failed, $"{item.Payload}: {e.Message}", null, 0);
        }
    }
}
