using System.Data.Common;

namespace Search.Indexing.Storage;

/// <summary>The few places where SQLite and PostgreSQL SQL differ for this schema.</summary>
public abstract class SqlDialect
{
    /// <summary>An auto-incrementing 64-bit primary key column definition.</summary>
    public abstract string AutoIncrementKey { get; }

    /// <summary>The column type of JSON metadata.</summary>
    public abstract string JsonType { get; }

    /// <summary>The column type of a double.</summary>
    public abstract string DoubleType { get; }

    /// <summary>The column type of a byte array.</summary>
    public abstract string BlobType { get; }

    /// <summary>A parameter reference usable as a JSON value.</summary>
    public abstract string JsonParameter(string name);

    /// <summary>
    /// Statements of schema version 3 that let tasks outlive their collection: the collection's name kept on the task,
    /// and a reference set to null (instead of a cascade) when the collection goes.
    /// </summary>
    public abstract IReadOnlyList<string> KeepTaskHistory { get; }

    /// <summary>A JSON column read back as text.</summary>
    public abstract string JsonAsText(string column);

    /// <summary>A statement run first in the migration transaction so that concurrent migrators queue; null if the transaction already serializes.</summary>
    public abstract string? MigrationLock { get; }

    /// <summary>
    /// A statement that serialises writers of one collection (parameter @c) until commit, so that change
    /// sequence numbers are committed in order; null where the database has a single writer anyway.
    /// </summary>
    public abstract string? CollectionWriteLock { get; }

    /// <summary>True when the exception is a unique-constraint violation (a concurrent insert won).</summary>
    public abstract bool IsUniqueViolation(DbException exception);
}

/// <summary>SQLite's dialect.</summary>
public sealed class SqliteDialect : SqlDialect
{
    /// <inheritdoc />
    public override string AutoIncrementKey => "INTEGER PRIMARY KEY AUTOINCREMENT";
    /// <inheritdoc />
    public override string JsonType => "TEXT";
    /// <inheritdoc />
    public override string DoubleType => "REAL";
    /// <inheritdoc />
    public override string BlobType => "BLOB";
    /// <inheritdoc />
    // SQLite cannot change a foreign key in place: the tables are rebuilt. task_items is renamed first, so dropping the
    // old tasks table (which deletes its rows first) cascades into nothing.
    public override IReadOnlyList<string> KeepTaskHistory =>
    [
        "ALTER TABLE task_items RENAME TO task_items_v2",
        "ALTER TABLE tasks RENAME TO tasks_v2",
        """
        CREATE TABLE tasks (
          id TEXT PRIMARY KEY,
          collection_id BIGINT REFERENCES collections(id) ON DELETE SET NULL, collection TEXT NOT NULL,
          state TEXT NOT NULL, total INTEGER NOT NULL, done INTEGER NOT NULL, failed INTEGER NOT NULL,
          cancel_requested INTEGER NOT NULL, error TEXT, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL)
        """,
        """
        INSERT INTO tasks (id, collection_id, collection, state, total, done, failed, cancel_requested, error, created_ms, updated_ms)
        SELECT t.id, t.collection_id, c.name, t.state, t.total, t.done, t.failed, t.cancel_requested, t.error, t.created_ms, t.updated_ms
        FROM tasks_v2 t JOIN collections c ON c.id = t.collection_id
        """,
        Migrations.TaskItemsTable,
        "INSERT INTO task_items SELECT * FROM task_items_v2",
        "DROP TABLE task_items_v2",
        "DROP TABLE tasks_v2",
    ];
    /// <inheritdoc />
    public override string JsonParameter(string name) => "@" + name;
    /// <inheritdoc />
    public override string JsonAsText(string column) => column;
    /// <inheritdoc />
    public override string? MigrationLock => null; // BEGIN IMMEDIATE already takes the write lock
    /// <inheritdoc />
    public override string? CollectionWriteLock => null;
    /// <inheritdoc />
    public override bool IsUniqueViolation(DbException exception) =>
        exception is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 };
}

/// <summary>PostgreSQL's dialect.</summary>
public sealed class PostgresDialect : SqlDialect
{
    /// <inheritdoc />
    public override string AutoIncrementKey => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
    /// <inheritdoc />
    public override string JsonType => "JSONB";
    /// <inheritdoc />
    public override string DoubleType => "DOUBLE PRECISION";
    /// <inheritdoc />
    public override string BlobType => "BYTEA";
    /// <inheritdoc />
    public override IReadOnlyList<string> KeepTaskHistory =>
    [
        "ALTER TABLE tasks ADD COLUMN collection TEXT",
        "UPDATE tasks t SET collection = c.name FROM collections c WHERE c.id = t.collection_id",
        "ALTER TABLE tasks ALTER COLUMN collection SET NOT NULL",
        "ALTER TABLE tasks ALTER COLUMN collection_id DROP NOT NULL",
        "ALTER TABLE tasks DROP CONSTRAINT tasks_collection_id_fkey",
        "ALTER TABLE tasks ADD CONSTRAINT tasks_collection_id_fkey FOREIGN KEY (collection_id) REFERENCES collections(id) ON DELETE SET NULL",
    ];
    /// <inheritdoc />
    public override string JsonParameter(string name) => "CAST(@" + name + " AS JSONB)";
    /// <inheritdoc />
    public override string JsonAsText(string column) => column + "::text";
    /// <inheritdoc />
    public override string? MigrationLock => "SELECT pg_advisory_xact_lock(7262616)";
    /// <inheritdoc />
    public override string? CollectionWriteLock => "SELECT pg_advisory_xact_lock(7262617, CAST(@c AS INTEGER))";
    /// <inheritdoc />
    public override bool IsUniqueViolation(DbException exception) =>
        exception is Npgsql.PostgresException { SqlState: "23505" };
}
