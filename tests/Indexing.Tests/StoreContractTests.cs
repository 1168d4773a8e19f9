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
        Enumerable.Range(0, segments).Select(i => new Segment(i, $"{text} part {i}", i * 100, i * 100 + 50, "A > B", i == 0 ? null : 1.5 * i, i == 0 ? null : 2.5 * i, i == 0 ? null : "Ann")).ToList());

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
        Assert.Equal(["two part 0", "two part 1"], segments.Select(s => s.Segment.Text));
        Assert.Equal((1.5, 2.5, "Ann", "A > B", 100, 150), (segments[1].Segment.StartSeconds, segments[1].Segment.EndSeconds, segments[1].Segment.Speaker, segments[1].Segment.SectionPath, segments[1].Segment.StartChar, segments[1].Segment.EndChar));
        Assert.Null(segments[0].Segment.StartSeconds);
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
        long? deleted = await Store.DeleteDocumentAsync("c", "d2");
        Assert.NotNull(deleted);
        Assert.Null(await Store.DeleteDocumentAsync("c", "d2"));
        var changes = await Store.GetChangesAsync("c", 0, 100);
        Assert.Equal(changes[^1].Sequence, deleted);
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
        Assert.Equal(["t3 part 2", "t7 part 0"], picked.Select(s => s.Segment.Text).Order());
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
        await Store.CompleteTaskItemAsync(task.Id, 0, TaskItemState.Done, null, "doc0", 7);
        await Store.CompleteTaskItemAsync(task.Id, 0, TaskItemState.Done, null, "doc0", 7); // a replay after restart counts nothing
        await Store.CompleteTaskItemAsync(task.Id, 1, TaskItemState.Failed, "bad input", null, 0);
        await Store.CompleteTaskItemAsync(task.Id, 2, TaskItemState.Done, null, "doc2", 9);
        // Done items whose writes an index at a sequence has seen: what of the task is searchable there.
        Assert.Equal((0, 1, 2), ((await Store.CountTaskItemsThroughAsync(task.Id, 6)).Items, (await Store.CountTaskItemsThroughAsync(task.Id, 8)).Items, (await Store.CountTaskItemsThroughAsync(task.Id, 9)).Items));
        // With the documents stored, their segments are counted too (as the documents are now).
        await Store.UpsertDocumentAsync("c", Doc("doc0", "zero", segments: 3));
        await Store.UpsertDocumentAsync("c", Doc("doc2", "two", segments: 2));
        Assert.Equal(new TaskItemsThrough(1, 3), await Store.CountTaskItemsThroughAsync(task.Id, 8));
        Assert.Equal(new TaskItemsThrough(2, 5), await Store.CountTaskItemsThroughAsync(task.Id, long.MaxValue));
        Assert.Equal((2L, 5L), ((await Store.GetCollectionAsync("c"))!.DocumentCount, (await Store.GetCollectionAsync("c"))!.SegmentCount));
        var now = await Store.GetTaskAsync(task.Id);
        Assert.Equal((TaskState.Running, 2, 1), (now!.State, now.Done, now.Failed));
        var pending = await Store.GetTaskItemsAsync(task.Id, TaskItemState.Pending, 0, 1000);
        Assert.Equal(447, pending.Count);
        Assert.Equal((3, TaskItemKind.Json, "item3"), (pending[0].Ordinal, pending[0].Kind, pending[0].Payload));
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
        var write = Doc("weird/id with spaces ü", "x") with { Title = tricky, Segments = [new Segment(0, tricky, 0, tricky.Length, tricky, null, null, tricky)] };
        await Store.UpsertDocumentAsync("c", write);
        var doc = await Store.GetDocumentAsync("c", "weird/id with spaces ü");
        Assert.Equal(tricky, doc!.Title);
        var seg = Assert.Single(await Store.GetSegmentsAsync([doc.Id]));
        Assert.Equal((tricky, tricky, tricky), (seg.Segment.Text, seg.Segment.SectionPath, seg.Segment.Speaker));
    }

    [Fact]
    public async Task Writes_answer_with_the_change_that_made_the_document_what_it_is()
    {
        await Store.CreateCollectionAsync("c");
        var changed = new List<string>();
        Store.CollectionChanged += (_, e) => changed.Add(e.Collection);
        var created = await Store.UpsertDocumentAsync("c", Doc("d", "one"));
        await Store.UpsertDocumentAsync("c", Doc("e", "other"));
        var unchanged = await Store.UpsertDocumentAsync("c", Doc("d", "one"));
        Assert.Equal(WriteOutcome.Unchanged, unchanged.Outcome);
        Assert.Equal(created.Sequence, unchanged.Sequence); // not the collection's latest change, which is e's
        Assert.True(unchanged.Sequence < await Store.GetLastChangeAsync("c"));
        var sameContent = await Store.UpsertDocumentAsync("c", Doc("other-name", "one", explicitId: false));
        Assert.Equal((WriteOutcome.Unchanged, created.Sequence), (sameContent.Outcome, sameContent.Sequence));
        Assert.Equal(["c", "c"], changed); // only writes that added a change are announced
        Assert.Equal(1, await Store.CountChangesAsync("c", created.Sequence));
        Assert.Equal(0, await Store.CountChangesAsync("c", await Store.GetLastChangeAsync("c")));
        Assert.Equal([new CollectionKey((await Store.GetCollectionIdAsync("c"))!.Value, "c")], await Store.ListCollectionKeysAsync());
        Assert.Null(await Store.GetCollectionIdAsync("nope"));
    }

    [Fact]
    public async Task Published_statistics_replace_the_last_and_a_recreated_collection_starts_without_them()
    {
        await Store.CreateCollectionAsync("c");
        var none = await Store.GetStatisticsVersionAsync("c");
        Assert.Equal(0, none.Version);
        Assert.Null(await Store.GetStatisticsAsync("c"));
        Assert.Equal(1, await Store.PutStatisticsAsync("c", new StatisticsWrite(5, 3, "corpus@5", [1, 2, 3])));
        Assert.Equal(2, await Store.PutStatisticsAsync("c", new StatisticsWrite(9, 4, "corpus@9", [4, 5])));
        var stored = await Store.GetStatisticsAsync("c");
        Assert.Equal((2, 9L, 4L, "corpus@9"), (stored!.Version, stored.Through, stored.Documents, stored.Embedder));
        Assert.Equal([4, 5], stored.Payload);
        var version = await Store.GetStatisticsVersionAsync("c");
        Assert.Equal(2, version.Version);
        await Store.DeleteCollectionAsync("c");
        await Store.CreateCollectionAsync("c");
        var fresh = await Store.GetStatisticsVersionAsync("c");
        Assert.Equal(0, fresh.Version);
        Assert.NotEqual(version.CollectionId, fresh.CollectionId);
        await Assert.ThrowsAsync<NotFoundException>(() => Store.GetStatisticsVersionAsync("nope"));
    }

    [Fact]
    public async Task Deleting_a_collection_cancels_its_tasks_and_keeps_their_history()
    {
        await Store.CreateCollectionAsync("c");
        await Store.CreateCollectionAsync("kept");
        var running = await Store.CreateTaskAsync("c", [new TaskItemInput(TaskItemKind.Json, "{}"), new TaskItemInput(TaskItemKind.Json, "{}")]);
        await Store.SetTaskStateAsync(running.Id, TaskState.Running, null);
        await Store.CompleteTaskItemAsync(running.Id, 0, TaskItemState.Done, null, "d", 1);
        var queued = await Store.CreateTaskAsync("c", [new TaskItemInput(TaskItemKind.Json, "{}")]);
        var finished = await Store.CreateTaskAsync("c", [new TaskItemInput(TaskItemKind.Json, "{}")]);
        await Store.SetTaskStateAsync(finished.Id, TaskState.Succeeded, null);
        var other = await Store.CreateTaskAsync("kept", [new TaskItemInput(TaskItemKind.Json, "{}")]);

        Assert.True(await Store.DeleteCollectionAsync("c"));
        var r = (await Store.GetTaskAsync(running.Id))!;
        Assert.Equal(("c", TaskState.Running, true, 1), (r.Collection, r.State, r.CancelRequested, r.Done)); // its runner stops at its next item
        var q = (await Store.GetTaskAsync(queued.Id))!;
        Assert.Equal(("c", TaskState.Cancelled), (q.Collection, q.State));
        Assert.Equal(TaskState.Succeeded, (await Store.GetTaskAsync(finished.Id))!.State);
        Assert.Equal((TaskState.Queued, false), ((await Store.GetTaskAsync(other.Id))!.State, (await Store.GetTaskAsync(other.Id))!.CancelRequested));
        Assert.Single(await Store.GetTaskItemsAsync(running.Id, TaskItemState.Done, 0, 10));
        Assert.Equal(4, (await Store.ListTasksAsync(10)).Count);
        // A new collection of the same name does not inherit them.
        await Store.CreateCollectionAsync("c");
        Assert.Equal([other.Id], (await Store.GetUnfinishedTasksAsync()).Select(t => t.Id).Where(id => id != running.Id));
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
