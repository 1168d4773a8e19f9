namespace Search.Indexing.Storage;

/// <summary>The versioned schema: migration N is applied once, in order, in one transaction.</summary>
public static class Migrations
{
    /// <summary>The task items table as version 1 made it (SQLite's version 3 rebuilds it as it was).</summary>
    public const string TaskItemsTable = """
        CREATE TABLE task_items (
          task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
          ordinal INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
          error TEXT, document_id TEXT,
          PRIMARY KEY (task_id, ordinal))
        """;

    /// <summary>The statements of each migration, version 1 first.</summary>
    public static IReadOnlyList<string[]> For(SqlDialect d) =>
    [
        [
            $"CREATE TABLE collections (id {d.AutoIncrementKey}, name TEXT NOT NULL UNIQUE, created_ms BIGINT NOT NULL)",
            $"""
            CREATE TABLE documents (
              id {d.AutoIncrementKey},
              collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
              external_id TEXT NOT NULL, title TEXT NOT NULL, source TEXT, media_type TEXT NOT NULL, kind TEXT NOT NULL,
              metadata {d.JsonType} NOT NULL, content_hash TEXT NOT NULL, structure TEXT NOT NULL,
              version INTEGER NOT NULL, segment_count INTEGER NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,
              UNIQUE (collection_id, external_id))
            """,
            "CREATE INDEX documents_by_hash ON documents (collection_id, content_hash)",
            $"""
            CREATE TABLE segments (
              document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
              ordinal INTEGER NOT NULL, text TEXT NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
              section_path TEXT NOT NULL, start_seconds {d.DoubleType}, end_seconds {d.DoubleType}, speaker TEXT,
              PRIMARY KEY (document_id, ordinal))
            """,
            $"""
            CREATE TABLE changes (
              seq {d.AutoIncrementKey},
              collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
              document_id BIGINT NOT NULL, deleted INTEGER NOT NULL)
            """,
            "CREATE INDEX changes_by_collection ON changes (collection_id, seq)",
            """
            CREATE TABLE tasks (
              id TEXT PRIMARY KEY,
              collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
              state TEXT NOT NULL, total INTEGER NOT NULL, done INTEGER NOT NULL, failed INTEGER NOT NULL,
              cancel_requested INTEGER NOT NULL, error TEXT, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)
            """,
            TaskItemsTable,
        ],
        [
            // Transcript chapters: the titled topical stretch each segment lies in.
            "ALTER TABLE segments ADD COLUMN chapter_ordinal INTEGER",
            "ALTER TABLE segments ADD COLUMN chapter_title TEXT",
            $"ALTER TABLE segments ADD COLUMN chapter_start {d.DoubleType}",
            $"ALTER TABLE segments ADD COLUMN chapter_end {d.DoubleType}",
        ],
        [
            // A task outlives its collection (deleting a collection cancels its tasks and keeps their history), and
            // each finished item records the change sequence of its write, so a task can say what is searchable.
            .. d.KeepTaskHistory,
            "ALTER TABLE task_items ADD COLUMN sequence BIGINT",
            // A write that changed nothing answers with the document's last change, found through this index.
            "CREATE INDEX changes_by_document ON changes (document_id, seq)",
            // What ingestion segments a collection's new documents with, published by its indexing pipeline.
            $"""
            CREATE TABLE collection_statistics (
              collection_id BIGINT PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
              version INTEGER NOT NULL, through_seq BIGINT NOT NULL, documents BIGINT NOT NULL, embedder TEXT NOT NULL,
              payload {d.BlobType} NOT NULL, created_ms BIGINT NOT NULL)
            """,
        ],
        [
            // The embedder a collection's dense vectors are made with; null follows the engine's default.
            "ALTER TABLE collections ADD COLUMN embedder TEXT",
        ],
    ];
}
