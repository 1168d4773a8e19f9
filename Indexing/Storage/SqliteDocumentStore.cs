using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Search.Indexing.Storage;

/// <summary>The embedded store: one SQLite file in WAL mode with full fsync on commit.</summary>
public sealed class SqliteDocumentStore : SqlDocumentStore
{
    private readonly string _connectionString;
    private readonly string _pragmas;

    /// <summary>Opens (creating if needed) the database file at <paramref name="path"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="durable">
    /// True (the default) fsyncs every commit, so an acknowledged write survives power loss; false
    /// survives a process crash only, for throw-away stores such as an evaluation run.
    /// </param>
    public SqliteDocumentStore(string path, bool durable = true) : base(new SqliteDialect())
    {
        // WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged commit survive power loss too.
        _pragmas = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(durable ? "FULL" : "NORMAL")}; PRAGMA foreign_keys=ON;";
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 60, // seconds a statement waits for another writer (SQLITE_BUSY is retried until then)
        }.ToString();
    }

    /// <inheritdoc />
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = _pragmas;
        await cmd.ExecuteNonQueryAsync(ct);
        return conn;
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
