using System.Net.Http.Json;
using System.Text.Json;
using Search.Indexing.Ingestion;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;
using Search.Ranking;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>A bulk task cut off mid-way resumes when the service starts again, and no document is stored twice.</summary>
public sealed class RestartResumeTests
{
    [Fact]
    public async Task The_service_resumes_an_interrupted_bulk_task_without_duplicates()
    {
        using var dir = new TempDirectory();
        var paths = Enumerable.Range(0, 25).Select(i => dir.Write($"docs/{i:00}.md", $"# Note {i}\n\nUnique marker m{i} in note {i}.")).ToList();
        string taskId;
        // The service that crashed ran over the same store and ingest root as the one that resumes.
        string data = ApiHost.DataDirectory(dir.Path);
        var ingestion = new IngestionOptions { Roots = IngestRoots.Of([dir.Path], [data]) };
        await using (var first = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = data, Ingestion = ingestion, Indexing = new IndexingOptions { Mode = IndexingMode.OnDemand } }))
        {
            await first.Store.CreateCollectionAsync("notes");
            var task = await first.Store.CreateTaskAsync("notes", paths.Select(p => new TaskItemInput(TaskItemKind.Path, p)).ToList());
            taskId = task.Id;
            using var crash = new CancellationTokenSource();
            var progress = new Progress(p =>
            {
                if (p.Done == 9) crash.Cancel();
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.TaskRunner.RunAsync(taskId, progress, crash.Token));
            // Simulate the window between a document's commit and its item's: the next item's document is already stored.
            await first.Ingestion.IngestFileAsync("notes", paths[9]);
        }

        await using var host = await ApiHost.StartAsync(dir.Path);
        var view = await host.Client.GetFromJsonAsync<JsonElement>($"/tasks/{taskId}?wait=indexed");
        Assert.Equal(("succeeded", 25, 0), (view.GetProperty("task").GetProperty("state").GetString(), view.GetProperty("task").GetProperty("done").GetInt32(), view.GetProperty("task").GetProperty("failed").GetInt32()));
        var collection = await host.Client.GetFromJsonAsync<JsonElement>("/collections/notes");
        Assert.Equal(25, collection.GetProperty("documents").GetInt64());
        for (int i = 0; i < 25; i += 6)
        {
            var hits = (await host.Client.GetFromJsonAsync<JsonElement>($"/collections/notes/search?q=m{i}")).GetProperty("hits");
            Assert.Equal(1, hits.GetArrayLength());
        }
    }

    private sealed class Progress(Action<TaskProgress> report) : IProgress<TaskProgress>
    {
        public void Report(TaskProgress value) => report(value);
    }
}
