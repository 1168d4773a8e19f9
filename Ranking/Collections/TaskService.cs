using Search.Indexing.Ingestion;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;

namespace Search.Ranking.Collections;

/// <summary>One failed item of a task.</summary>
public sealed record TaskItemError(int Item, string Input, string? Error);

/// <summary>
/// A bulk task as users follow it: its counts (documents stored), the items that failed, and — while its collection
/// exists — how many of its done items each searchable stage has indexed, and the segments of its documents in all
/// (<paramref name="Segments"/>) and through each stage (<paramref name="SearchableSegments"/>: for the dense stage,
/// segments embedded).
/// </summary>
public sealed record TaskView(IngestTask Task, IReadOnlyList<TaskItemError> Errors, IReadOnlyDictionary<string, int>? Searchable,
    long? Segments = null, IReadOnlyDictionary<string, long>? SearchableSegments = null);

/// <summary>Bulk ingestion tasks as users queue, follow and cancel them; a runner (the service's worker, or the command line) carries them out.</summary>
public sealed class TaskService(IDocumentStore store, IngestionPipeline ingestion, CollectionIndexes indexes)
{
    private const int MaxErrorsShown = 1000;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Raised after a task is queued, so a runner in this process starts it at once.</summary>
    public event EventHandler? Queued;

    /// <summary>Queues the files that paths, directories and globs on this machine name; <see cref="ArgumentException"/> when they name none.</summary>
    public async Task<IngestTask> QueuePathsAsync(string collection, IReadOnlyList<string> pathsOrGlobs, CancellationToken ct)
    {
        var items = new List<TaskItemInput>();
        foreach (var p in PathExpansion.Expand(pathsOrGlobs, ingestion.Extractors, ingestion.Options.Roots, ingestion.Options.PathLimits, ct))
            items.Add(new TaskItemInput(TaskItemKind.Path, p));
        if (items.Count == 0) throw new ArgumentException("no file matched");
        return await QueueAsync(collection, items, ct);
    }

    /// <summary>Queues documents given as JSON lines.</summary>
    public async Task<IngestTask> QueueDocumentsAsync(string collection, IReadOnlyList<string> jsonLines, CancellationToken ct)
    {
        var items = new List<TaskItemInput>(jsonLines.Count);
        foreach (var line in jsonLines) items.Add(new TaskItemInput(TaskItemKind.Json, line));
        if (items.Count == 0) throw new ArgumentException("the request names no documents");
        return await QueueAsync(collection, items, ct);
    }

    private async Task<IngestTask> QueueAsync(string collection, List<TaskItemInput> items, CancellationToken ct)
    {
        var task = await store.CreateTaskAsync(collection, items, ct);
        Queued?.Invoke(this, EventArgs.Empty);
        return task;
    }

    /// <summary>Tasks that were queued or running when a runner last stopped, oldest first: what a runner starting up carries out.</summary>
    public Task<IReadOnlyList<IngestTask>> UnfinishedAsync(CancellationToken ct) => store.GetUnfinishedTasksAsync(ct);

    /// <summary>The most recent tasks first.</summary>
    public Task<IReadOnlyList<IngestTask>> ListAsync(int limit, CancellationToken ct)
    {
        if (limit is < 1 or > 1000) throw new ArgumentException("limit must be between 1 and 1000");
        return store.ListTasksAsync(limit, ct);
    }

    /// <summary>A task with its failed items and what of it is searchable; <see cref="NotFoundException"/> when unknown.</summary>
    public async Task<TaskView> GetAsync(string id, CancellationToken ct)
    {
        var task = await store.GetTaskAsync(id, ct) ?? throw new NotFoundException($"task '{id}' does not exist");
        var failed = await store.GetTaskItemsAsync(id, TaskItemState.Failed, 0, MaxErrorsShown, ct);
        var errors = new List<TaskItemError>(failed.Count);
        foreach (var i in failed) errors.Add(new TaskItemError(i.Ordinal, i.Kind == TaskItemKind.Path ? i.Payload : $"line {i.Ordinal + 1}", i.Error));
        Dictionary<string, int>? searchable = null;
        Dictionary<string, long>? searchableSegments = null;
        long? segments = null;
        try
        {
            var status = await indexes.StatusAsync(task.Collection, ct);
            searchable = [];
            searchableSegments = [];
            segments = (await store.CountTaskItemsThroughAsync(id, long.MaxValue, ct)).Segments;
            foreach (var stage in status.Serving.Stages)
            {
                if (stage.Name == StatisticsStage.StageName) continue;
                var through = await store.CountTaskItemsThroughAsync(id, stage.Sequence, ct);
                searchable[stage.Name] = through.Items;
                // A stage part-way through a batch (the dense stage embedding it) is working on the changes just after
                // its sequence, which are this task's while it is the one being indexed.
                searchableSegments[stage.Name] = Math.Min(segments.Value, through.Segments + stage.InFlight);
            }
        }
        catch (NotFoundException)
        {
            // The collection was deleted: the task's history stays, its documents are gone.
        }
        return new TaskView(task, errors, searchable, segments, searchableSegments);
    }

    /// <summary>Asks a queued or running task to stop; <see cref="ConflictException"/> when it has finished.</summary>
    public async Task<IngestTask> CancelAsync(string id, CancellationToken ct)
    {
        var task = await store.GetTaskAsync(id, ct) ?? throw new NotFoundException($"task '{id}' does not exist");
        if (!await store.RequestCancelAsync(id, ct)) throw new ConflictException($"task '{id}' is {task.State.ToString().ToLowerInvariant()} and cannot be cancelled");
        return (await store.GetTaskAsync(id, ct))!;
    }

    /// <summary>Returns once the task has finished and every document it stored is searchable.</summary>
    public async Task<TaskView> WaitIndexedAsync(string id, CancellationToken ct)
    {
        while (true)
        {
            var task = await store.GetTaskAsync(id, ct) ?? throw new NotFoundException($"task '{id}' does not exist");
            if (task.State is TaskState.Succeeded or TaskState.Failed or TaskState.Cancelled)
            {
                try
                {
                    await indexes.WaitIndexedAsync(task.Collection, await store.GetLastChangeAsync(task.Collection, ct), ct);
                }
                catch (NotFoundException)
                {
                }
                return await GetAsync(id, ct);
            }
            await Task.Delay(PollInterval, ct);
        }
    }
}
