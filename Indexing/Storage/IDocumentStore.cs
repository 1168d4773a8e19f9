namespace Search.Indexing.Storage;

/// <summary>
/// The system of record: collections, documents with their segments, a change log in commit order and
/// bulk ingestion tasks. Every method returns only after its write is committed.
/// </summary>
public interface IDocumentStore : IAsyncDisposable
{
    /// <summary>Raised after a write that added to a collection's change log has committed (in this process; others are found by polling the log).</summary>
    event EventHandler<CollectionChangedEventArgs>? CollectionChanged;

    /// <summary>Creates or upgrades the schema; safe to call from several processes.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    /// <summary>The schema version after migration.</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken ct = default);

    /// <summary>Creates a collection (with the embedder its dense vectors are made with, or null for the default); returns false when it exists already.</summary>
    Task<bool> CreateCollectionAsync(string name, string? embedder = null, CancellationToken ct = default);

    /// <summary>Sets the embedder a collection's dense vectors are made with (null: the default); false when it does not exist.</summary>
    Task<bool> SetCollectionEmbedderAsync(string name, string? embedder, CancellationToken ct = default);

    /// <summary>All collections, by name.</summary>
    Task<IReadOnlyList<Collection>> ListCollectionsAsync(CancellationToken ct = default);

    /// <summary>One collection, or null.</summary>
    Task<Collection?> GetCollectionAsync(string name, CancellationToken ct = default);

    /// <summary>A collection's id (a re-created collection gets a new one), or null; cheaper than <see cref="GetCollectionAsync"/>, which counts documents.</summary>
    Task<long?> GetCollectionIdAsync(string name, CancellationToken ct = default);

    /// <summary>A collection's id, name and embedder, or null; as cheap as <see cref="GetCollectionIdAsync"/>.</summary>
    Task<CollectionKey?> GetCollectionKeyAsync(string name, CancellationToken ct = default);

    /// <summary>Every collection's id and name, by name.</summary>
    Task<IReadOnlyList<CollectionKey>> ListCollectionKeysAsync(CancellationToken ct = default);

    /// <summary>
    /// Deletes a collection with its documents and segments; its queued and running tasks are cancelled in the same
    /// transaction and every task keeps its history (under the collection's name). False when it did not exist.
    /// </summary>
    Task<bool> DeleteCollectionAsync(string name, CancellationToken ct = default);

    /// <summary>
    /// Stores a document and replaces its segments in one transaction. Same id and same content hash is
    /// a no-op; when the id was not given explicitly, identical content already in the collection is too.
    /// </summary>
    Task<UpsertResult> UpsertDocumentAsync(string collection, DocumentWrite document, CancellationToken ct = default);

    /// <summary>A document by its external id, or null.</summary>
    Task<StoredDocument?> GetDocumentAsync(string collection, string externalId, CancellationToken ct = default);

    /// <summary>Documents by internal id (unknown ids are left out).</summary>
    Task<IReadOnlyList<StoredDocument>> GetDocumentsAsync(IReadOnlyCollection<long> ids, CancellationToken ct = default);

    /// <summary>A page of a collection's documents, by internal id.</summary>
    Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string collection, int offset, int limit, CancellationToken ct = default);

    /// <summary>Documents with an internal id above <paramref name="afterId"/>, by id (keyset paging that concurrent writes cannot shift).</summary>
    Task<IReadOnlyList<StoredDocument>> GetDocumentsAfterAsync(string collection, long afterId, int limit, CancellationToken ct = default);

    /// <summary>Deletes a document and its segments; returns the change sequence of the deletion, or null when it did not exist.</summary>
    Task<long?> DeleteDocumentAsync(string collection, string externalId, CancellationToken ct = default);

    /// <summary>The segments of the given documents, by document then ordinal.</summary>
    Task<IReadOnlyList<StoredSegment>> GetSegmentsAsync(IReadOnlyCollection<long> documentIds, CancellationToken ct = default);

    /// <summary>Specific segments, by (document id, ordinal); unknown pairs are left out.</summary>
    Task<IReadOnlyList<StoredSegment>> GetSegmentsAsync(IReadOnlyCollection<(long DocumentId, int Ordinal)> keys, CancellationToken ct = default);

    /// <summary>The latest change sequence number of a collection (0 when it has none).</summary>
    Task<long> GetLastChangeAsync(string collection, CancellationToken ct = default);

    /// <summary>Changes after <paramref name="afterSequence"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<ChangeRecord>> GetChangesAsync(string collection, long afterSequence, int limit, CancellationToken ct = default);

    /// <summary>How many changes a collection has after <paramref name="afterSequence"/> (what an index at that sequence has not seen).</summary>
    Task<long> CountChangesAsync(string collection, long afterSequence, CancellationToken ct = default);

    /// <summary>The collection's published statistics, or null when none are.</summary>
    Task<StoredStatistics?> GetStatisticsAsync(string collection, CancellationToken ct = default);

    /// <summary>Which statistics the collection has published (version 0 when none), cheap enough to ask before every document.</summary>
    Task<StatisticsVersion> GetStatisticsVersionAsync(string collection, CancellationToken ct = default);

    /// <summary>Replaces the collection's statistics; returns their new version.</summary>
    Task<int> PutStatisticsAsync(string collection, StatisticsWrite statistics, CancellationToken ct = default);

    /// <summary>Creates a queued task with its items.</summary>
    Task<IngestTask> CreateTaskAsync(string collection, IReadOnlyList<TaskItemInput> items, CancellationToken ct = default);

    /// <summary>One task, or null.</summary>
    Task<IngestTask?> GetTaskAsync(string id, CancellationToken ct = default);

    /// <summary>Most recent tasks first.</summary>
    Task<IReadOnlyList<IngestTask>> ListTasksAsync(int limit, CancellationToken ct = default);

    /// <summary>A task's items from <paramref name="fromOrdinal"/> on, in order; <paramref name="onlyState"/> filters.</summary>
    Task<IReadOnlyList<TaskItem>> GetTaskItemsAsync(string taskId, TaskItemState? onlyState, int fromOrdinal, int limit, CancellationToken ct = default);

    /// <summary>Tasks that are queued or were running when the process stopped, oldest first.</summary>
    Task<IReadOnlyList<IngestTask>> GetUnfinishedTasksAsync(CancellationToken ct = default);

    /// <summary>Sets a task's state (and error text).</summary>
    Task SetTaskStateAsync(string id, TaskState state, string? error, CancellationToken ct = default);

    /// <summary>
    /// Records an item's outcome and updates the task's counts in one transaction; <paramref name="sequence"/> is the
    /// change sequence that made the item's documents what they are (0 when it wrote none).
    /// </summary>
    Task CompleteTaskItemAsync(string taskId, int ordinal, TaskItemState state, string? error, string? documentId, long sequence, CancellationToken ct = default);

    /// <summary>The task's done items whose writes are at or before <paramref name="throughSequence"/> (searchable in an index at that sequence), and their documents' segments.</summary>
    Task<TaskItemsThrough> CountTaskItemsThroughAsync(string taskId, long throughSequence, CancellationToken ct = default);

    /// <summary>Asks a queued or running task to stop; false when it is unknown or already finished.</summary>
    Task<bool> RequestCancelAsync(string id, CancellationToken ct = default);
}
