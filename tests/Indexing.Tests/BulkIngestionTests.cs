using System.Text;
using Search.Indexing.Extraction;
using Search.Indexing.Ingestion;
using Search.Indexing.Storage;
using Search.Segmentation;
using Search.TestSupport;

namespace Search.Indexing.Tests;

/// <summary>The ingestion pipeline and bulk tasks on a real SQLite store.</summary>
public sealed class BulkIngestionTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SqliteDocumentStore _store = null!;
    private IngestionPipeline _pipeline = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteDocumentStore(_dir.File("db/store.db"));
        await _store.MigrateAsync();
        await _store.CreateCollectionAsync("c");
        _pipeline = new IngestionPipeline(_store, ExtractorRegistry.Default, new StructuralSegmenter(), new IngestionOptions(MaxDocumentBytes: 1 << 20));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Same_file_twice_is_one_document_and_a_changed_file_replaces_its_segments()
    {
        string path = _dir.Write("docs/a.md", "# A\n\nfirst version text");
        var first = (await _pipeline.IngestFileAsync("c", path))[0].Outcome!;
        var again = (await _pipeline.IngestFileAsync("c", path))[0].Outcome!;
        Assert.Equal((WriteOutcome.Created, WriteOutcome.Unchanged), (first.Outcome, again.Outcome));
        File.WriteAllText(path, "# A\n\nsecond version text\n\n## More\n\nextra");
        var changed = (await _pipeline.IngestFileAsync("c", path))[0].Outcome!;
        Assert.Equal(WriteOutcome.Updated, changed.Outcome);
        var segments = await _store.GetSegmentsAsync([changed.Document.Id]);
        Assert.Equal(["second version text", "extra"], segments.Select(s => s.Segment.Text));
        Assert.Equal(1, (await _store.GetCollectionAsync("c"))!.DocumentCount);
    }

    [Fact]
    public async Task A_bulk_task_reports_bad_items_and_stores_the_rest_without_damage()
    {
        string good1 = _dir.Write("in/good1.txt", "Alpha paragraph about turbines.");
        string good2 = _dir.Write("in/good2.md", "# Two\n\nBeta paragraph about solar.");
        var bad = new Dictionary<string, string>
        {
            [_dir.Write("in/empty.txt", "")] = "empty",
            [_dir.Write("in/binary.txt", [0x00, 0x01, 0x02, 0xFF, 0x00])] = "binary",
            [_dir.Write("in/latin1.txt", [0x63, 0x61, 0x66, 0xE9])] = "UTF-8",
            [_dir.Write("in/huge.txt", new string('x', (1 << 20) + 10))] = "limit",
            [_dir.Write("in/notes.xyz", "text")] = "unsupported",
            [_dir.Write("in/broken.json", "{\"title\": ")] = "malformed JSON",
            [_dir.Write("in/broken.pdf", "%PDF-1.4 not really")] = "pdftotext",
            [_dir.File("in/missing.txt")] = "not found",
        };
        var before = (await _pipeline.IngestFileAsync("c", good1))[0].Outcome!;
        var items = new List<TaskItemInput> { new(TaskItemKind.Path, good1), new(TaskItemKind.Path, good2) };
        items.AddRange(bad.Keys.Select(p => new TaskItemInput(TaskItemKind.Path, p)));
        items.Add(new TaskItemInput(TaskItemKind.Json, "{\"id\": \"inline\", \"title\": \"Inline\", \"text\": \"gamma\"}"));
        items.Add(new TaskItemInput(TaskItemKind.Json, "not json"));
        var task = await _store.CreateTaskAsync("c", items);
        var final = await new BulkTaskRunner(_store, _pipeline).RunAsync(task.Id);
        Assert.Equal((TaskState.Succeeded, 3, bad.Count + 1), (final.State, final.Done, final.Failed));
        var failed = await _store.GetTaskItemsAsync(task.Id, TaskItemState.Failed, 0, 100);
        foreach (var item in failed.Where(i => i.Kind == TaskItemKind.Path))
            Assert.Contains(bad[item.Payload], item.Error, StringComparison.Ordinal);
        Assert.Contains("malformed JSON", failed.Single(i => i.Kind == TaskItemKind.Json).Error, StringComparison.Ordinal);
        // What was stored before is untouched; good items are stored once.
        var after = await _store.GetDocumentAsync("c", before.ExternalId);
        Assert.Equal((before.Document.Version, before.Document.ContentHash), (after!.Version, after.ContentHash));
        Assert.Equal(3, (await _store.GetCollectionAsync("c"))!.DocumentCount);
    }

    [Fact]
    public async Task An_interrupted_task_resumes_without_duplicates()
    {
        var paths = Enumerable.Range(0, 12).Select(i => _dir.Write($"many/doc{i:00}.txt", $"Document number {i} with unique word w{i}.")).ToList();
        var task = await _store.CreateTaskAsync("c", paths.Select(p => new TaskItemInput(TaskItemKind.Path, p)).ToList());
        using var stop = new CancellationTokenSource();
        var progress = new ReportingProgress(p =>
        {
            if (p.Done >= 5) stop.Cancel(); // the process "dies" after five items
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new BulkTaskRunner(_store, _pipeline).RunAsync(task.Id, progress, stop.Token));
        var interrupted = await _store.GetTaskAsync(task.Id);
        Assert.Equal(TaskState.Running, interrupted!.State);
        Assert.InRange(interrupted.Done, 5, 6);
        Assert.Single(await _store.GetUnfinishedTasksAsync());

        // A new process: another store on the same file resumes the task.
        await using var restarted = new SqliteDocumentStore(_dir.File("db/store.db"));
        var pipeline = new IngestionPipeline(restarted, ExtractorRegistry.Default, new StructuralSegmenter(), new IngestionOptions());
        var final = await new BulkTaskRunner(restarted, pipeline).RunAsync(task.Id);
        Assert.Equal((TaskState.Succeeded, 12, 0), (final.State, final.Done, final.Failed));
        Assert.Equal(12, (await restarted.GetCollectionAsync("c"))!.DocumentCount);
    }

    [Fact]
    public async Task Cancelling_stops_a_task_between_items()
    {
        var paths = Enumerable.Range(0, 5).Select(i => _dir.Write($"c/{i}.txt", $"text {i}")).ToList();
        var task = await _store.CreateTaskAsync("c", paths.Select(p => new TaskItemInput(TaskItemKind.Path, p)).ToList());
        Assert.True(await _store.RequestCancelAsync(task.Id));
        var final = await new BulkTaskRunner(_store, _pipeline).RunAsync(task.Id);
        Assert.Equal((TaskState.Cancelled, 0), (final.State, final.Done));
    }

    [Fact]
    public async Task Json_lines_files_ingest_one_document_per_row_and_report_bad_rows()
    {
        var sb = new StringBuilder();
        sb.AppendLine("{\"_id\": \"1\", \"title\": \"One\", \"text\": \"first row\"}");
        sb.AppendLine("{\"_id\": \"2\", \"title\": \"Two\", \"text\": ");
        sb.AppendLine();
        sb.AppendLine("{\"_id\": \"3\", \"title\": \"Three\", \"text\": \"third row\", \"metadata\": {\"year\": 1999}}");
        string path = _dir.Write("corpus.jsonl", sb.ToString());
        var results = await _pipeline.IngestFileAsync("c", path);
        Assert.Equal(3, results.Count);
        Assert.Contains(":2: malformed JSON", results[1].Error, StringComparison.Ordinal);
        Assert.Equal("3", results[2].Outcome!.ExternalId);
        Assert.Contains("1999", results[2].Outcome!.Document.MetadataJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Path_expansion_handles_directories_globs_and_missing_files()
    {
        _dir.Write("tree/a.txt", "a");
        _dir.Write("tree/sub/b.md", "b");
        _dir.Write("tree/sub/deeper/c.vtt", "WEBVTT");
        _dir.Write("tree/skip.bin", "x");
        var all = PathExpansion.Expand([_dir.File("tree")], ExtractorRegistry.Default, IngestRoots.Unrestricted);
        Assert.Equal(["a.txt", "b.md", "c.vtt"], all.Select(Path.GetFileName));
        Assert.Equal(["b.md"], PathExpansion.Expand([_dir.File("tree/sub/*.md")], ExtractorRegistry.Default, IngestRoots.Unrestricted).Select(Path.GetFileName));
        Assert.Equal(["c.vtt"], PathExpansion.Expand([_dir.File("tree/**/*.vtt")], ExtractorRegistry.Default, IngestRoots.Unrestricted).Select(Path.GetFileName));
        Assert.Equal(["skip.bin"], PathExpansion.Expand([_dir.File("tree/????.*")], ExtractorRegistry.Default, IngestRoots.Unrestricted).Select(Path.GetFileName));
        Assert.Equal(["a.txt", "b.md"], PathExpansion.Expand([_dir.File("tree/**/*.txt"), _dir.File("tree/sub/b.md"), _dir.File("tree/a.txt")], ExtractorRegistry.Default, IngestRoots.Unrestricted).Select(Path.GetFileName));
        Assert.Equal([_dir.File("nope.txt")], PathExpansion.Expand([_dir.File("nope.txt")], ExtractorRegistry.Default, IngestRoots.Unrestricted));
        Assert.Empty(PathExpansion.Expand([_dir.File("tree/*.pdf")], ExtractorRegistry.Default, IngestRoots.Unrestricted));
    }

    private sealed class ReportingProgress(Action<TaskProgress> report) : IProgress<TaskProgress>
    {
        public void Report(TaskProgress value) => report(value);
    }
}
