using Search.Indexing.Storage;
using Search.Segmentation;
using Search.TestSupport;

namespace Search.Indexing.Tests;

/// <summary>The behaviour every <see cref="IDocumentStore"/> must have; run against SQLite and a real PostgreSQL.</summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    protected IDocumentStore Store { get; private set; } = null!;

    protected abstract IDocumentStore CreateStore();

    public async Task InitializeAsync()
    {
        Store = CreateStore();
        await Store.MigrateAsync();
    }

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    protected static DocumentWrite Doc(string id, string text, bool explicitId = true, string metadata = "{}", int segments = 2) => new(
        id, explicitId, "Title " + id, "src/" + id, "text/plain", DocumentKind.Prose, metadata,
        "hash-" + text, "[]",
        Enumerable.Range(0, segments).Select(i => new SegmentDraft(i, $"{text} part {i}", i * 100, i * 100 + 50, "A > B", i == 0 ? null : 1.5 * i, i == 0 ? null : 2.5 * i, i == 0 ? null : "Ann")).ToList());

    [Fact]
    public async Task Migration_is_idempotent_and_versioned()
    {
        await Store.MigrateAsync();
        Assert.Equal(Migrations.For(new SqliteDialect()).Count, await Store.GetSchemaVersionAsync());
    }

    [Fact]
    public async Task Collections_are_created_listed_and_deleted_with_their_documents()
    {
        Assert.True(await Store.CreateCollectionAsync("b"));
        Assert.True(await Store.CreateCollectionAsync("a"));
        Assert.False(await Store.CreateCollectionAsync("a"));
        await Store.UpsertDocumentAsync("a", Doc("d1", "x"));
        Assert.Equal(["a", "b"], (await Store.ListCollectionsAsync()).Select(c => c.Name));
        Assert.Equal(1, (await Store.GetCollectionAsync("a"))!.DocumentCount);
        Assert.True(await Store.DeleteCollectionAsync("a"));
        Assert.False(await Store.DeleteCollectionAsync("a"));
        Assert.Null(await Store.GetCollectionAsync("a"));
        Assert.True(await Store.CreateCollectionAsync("a"));
        Assert.Null(await Store.GetDocumentAsync("a", "d1"));
    }

    [Fact]
    public async Task Upsert_creates_then_ignores_identical_content_then_replaces_segments_atomically()
    {
        await Store.CreateCollectionAsync("c");
        var first = await Store.UpsertDocumentAsync("c", Doc("d", "one", segments: 3));
        Assert.Equal(WriteOutcome.Created, first.Outcome);
        Assert.Equal(1, first.Document.Version);
        var again = await Store.UpsertDocumentAsync("c", Doc("d", "one", segments: 3));
        Assert.Equal(WriteOutcome.Unchanged, again.Outcome);
        Assert.Equal(first.Document.Id, again.Document.Id);
        var changed = await Store.UpsertDocumentAsync("c", Doc("d", "two", segments: 2, metadata: """{"lang":"en"}"""));
        Assert.Equal(WriteOutcome.Updated, changed.Outcome);
        Assert.Equal(2, changed.Document.Version);
        Assert.Equal(first.Document.Id, changed.Document.Id);
        var segments = await Store.GetSegmentsAsync([changed.Document.Id]);
        Assert.Equal(["two part 0", "two part 1"], segments.Select(s => s.Text));
        Assert.Equal((1.5, 2.5, "Ann", "A > B", 100, 150), (segments[1].StartSeconds, segments[1].EndSeconds, segments[1].Speaker, segments[1].SectionPath, segments[1].StartChar, segments[1].EndChar));
        Assert.Null(segments[0].StartSeconds);
        var stored = await Store.GetDocumentAsync("c", "d");
        Assert.Contains("\"lang\"", stored!.MetadataJson, StringComparison.Ordinal);
        Assert.Equal(2, stored.SegmentCount);
    }

    [Fact]
    public async Task Identical_content_without_an_explicit_id_is_not_stored_twice()
    {
        await Store.CreateCollectionAsync("c");
        var a = await Store.UpsertDocumentAsync("c", Doc("/path/a.txt", "same", explicitId: false));
        var b = await Store.UpsertDocumentAsync("c", Doc("/path/copy-of-a.txt", "same", explicitId: false));
        Assert.Equal(WriteOutcome.Unchanged, b.Outcome);
        Assert.Equal(a.Document.Id, b.Document.Id);
        var c = await Store.UpsertDocumentAsync("c", Doc("named", "same", explicitId: true));
        Assert.Equal(WriteOutcome.Created, c.Outcome); // a caller who names documents may store equal texts twice
        Assert.Equal(2, (await Store.GetCollectionAsync("c"))!.DocumentCount);
    }

    [Fact]
    public async Task Writes_to_a_missing_collection_fail_cleanly()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => Store.UpsertDocumentAsync("missing", Doc("d", "x")));
        await Assert.ThrowsAsync<NotFoundException>(() => Store.CreateTaskAsync("missing", [new TaskItemInput(TaskItemKind.Json, "{}")]));
        await Assert.ThrowsAsync<NotFoundException>(() => Store.ListDocumentsAsync("missing", 0, 10));
    }

    [Fact]
    public async Task Deletes_and_updates_are_recorded_in_the_change_log_in_order()
    {
        await Store.CreateCollectionAsync("c");
        await Store.CreateCollectionAsync("other");
        var d1 = await Store.UpsertDocumentAsync("c", Doc("d1", "x"));
        var d2 = await Store.UpsertDocumentAsync("c", Doc("d2", "y"));
        await Store.UpsertDocumentAsync("other", Doc("o", "z"));
        await Store.UpsertDocumentAsync("c", Doc("d1", "x2"));
        await Store.UpsertDocumentAsync("c", Doc("d1", "x2")); // unchanged: no change record
        Assert.True(await Store.DeleteDocumentAsync("c", "d2"));
        Assert.False(await Store.DeleteDocumentAsync("c", "d2"));
        var changes = await Store.GetChangesAsync("c", 0, 100);
        Assert.Equal([(d1.Document.Id, false), (d2.Document.Id, false), (d1.Document.Id, false), (d2.Document.Id, true)], changes.Select(c => (c.DocumentId, c.Deleted)));
        Assert.True(changes.Zip(changes.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        Assert.Equal(changes[^1].Sequence, await Store.GetLastChangeAsync("c"));
        Assert.Equal(changes.Skip(2), await Store.GetChangesAsync("c", changes[1].Sequence, 100));
        Assert.Empty(await Store.GetSegmentsAsync([d2.Document.Id]));
        Assert.Equal(2, (await Store.GetChangesAsync("c", 0, 2)).Count);
    }

    [Fact]
    public async Task Documents_and_segments_are_fetched_by_key()
    {
        await Store.CreateCollectionAsync("c");
        var ids = new List<long>();
        for (int i = 0; i < 30; i++) ids.Add((await Store.UpsertDocumentAsync("c", Doc("d" + i, "t" + i, segments: 3))).Document.Id);
        Assert.Equal(30, (await Store.GetDocumentsAsync(ids)).Count);
        Assert.Equal(90, (await Store.GetSegmentsAsync(ids)).Count);
        var picked = await Store.GetSegmentsAsync([(ids[3], 2), (ids[7], 0), (ids[7], 9)]);
        Assert.Equal(["t3 part 2", "t7 part 0"], picked.Select(s => s.Text).Order());
        var page = await Store.ListDocumentsAsync("c", 10, 5);
        Assert.Equal(["d10", "d11", "d12", "d13", "d14"], page.Select(d => d.ExternalId));
    }

    [Fact]
    public async Task Concurrent_writers_of_one_id_leave_one_document()
    {
        await Store.CreateCollectionAsync("c");
        var writes = Enumerable.Range(0, 16).Select(i => Task.Run(() => Store.UpsertDocumentAsync("c", Doc("same-id", "v" + (i % 4)))));
        await Task.WhenAll(writes);
        Assert.Equal(1, (await Store.GetCollectionAsync("c"))!.DocumentCount);
        var doc = await Store.GetDocumentAsync("c", "same-id");
        Assert.Equal(2, (await Store.GetSegmentsAsync([doc!.Id])).Count);
    }

    [Fact]
    public async Task Task_items_complete_once_and_counts_follow()
    {
        await Store.CreateCollectionAsync("c");
        var task = await Store.CreateTaskAsync("c", Enumerable.Range(0, 450).Select(i => new TaskItemInput(i % 2 == 0 ? TaskItemKind.Path : TaskItemKind.Json, "item" + i)).ToList());
        Assert.Equal((TaskState.Queued, 450, 0, 0), (task.State, task.Total, task.Done, task.Failed));
        await Store.SetTaskStateAsync(task.Id, TaskState.Running, null);
        await Store.CompleteTaskItemAsync(task.Id, 0, TaskItemState.Done, null, "doc0");
        await Store.CompleteTaskItemAsync(task.Id, 0, TaskItemState.Done, null, "doc0"); // a replay after restart counts nothing
        await Store.CompleteTaskItemAsync(task.Id, 1, TaskItemState.Failed, "bad input", null);
        var now = await Store.GetTaskAsync(task.Id);
        Assert.Equal((TaskState.Running, 1, 1), (now!.State, now.Done, now.Failed));
        var pending = await Store.GetTaskItemsAsync(task.Id, TaskItemState.Pending, 0, 1000);
        Assert.Equal(448, pending.Count);
        Assert.Equal((2, TaskItemKind.Path, "item2"), (pending[0].Ordinal, pending[0].Kind, pending[0].Payload));
        var failed = Assert.Single(await Store.GetTaskItemsAsync(task.Id, TaskItemState.Failed, 0, 10));
        Assert.Equal("bad input", failed.Error);
        Assert.Single(await Store.GetUnfinishedTasksAsync());
        Assert.True(await Store.RequestCancelAsync(task.Id));
        Assert.True((await Store.GetTaskAsync(task.Id))!.CancelRequested);
        await Store.SetTaskStateAsync(task.Id, TaskState.Cancelled, null);
        Assert.False(await Store.RequestCancelAsync(task.Id));
        Assert.Empty(await Store.GetUnfinishedTasksAsync());
        Assert.Equal(task.Id, (await Store.ListTasksAsync(10))[0].Id);
        Assert.Null(await Store.GetTaskAsync("nope"));
    }

    [Fact]
    public async Task Text_survives_round_trips_exactly()
    {
        await Store.CreateCollectionAsync("c");
        string tricky = "quotes ' \" ; -- DROP TABLE documents; emoji 🦜 null\u0001 tab\t newline\n Ελληνικά";
        var write = Doc("weird/id with spaces ü", "x") with { Title = tricky, Segments = [new SegmentDraft(0, tricky, 0, tricky.Length, tricky, null, null, tricky)] };
        await Store.UpsertDocumentAsync("c", write);
        var doc = await Store.GetDocumentAsync("c", "weird/id with spaces ü");
        Assert.Equal(tricky, doc!.Title);
        var seg = Assert.Single(await Store.GetSegmentsAsync([doc.Id]));
        Assert.Equal((tricky, tricky, tricky), (seg.Text, seg.SectionPath, seg.Speaker));
    }
}

public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly TempDirectory _dir = new();

    protected override IDocumentStore CreateStore() => new SqliteDocumentStore(_dir.File("store.db"));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_second_store_on_the_same_file_sees_committed_writes()
    {
        await Store.CreateCollectionAsync("c");
        await Store.UpsertDocumentAsync("c", Doc("d", "x"));
        await using var other = new SqliteDocumentStore(_dir.File("store.db"));
        Assert.NotNull(await other.GetDocumentAsync("c", "d"));
    }
}

public sealed class PostgresStoreContractTests : StoreContractTests
{
    protected override IDocumentStore CreateStore() => new PostgresDocumentStore(PostgresServer.CreateDatabase());
}
