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

    /// <summary>A parameter reference usable as a JSON value.</summary>
    public abstract string JsonParameter(string name);

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
