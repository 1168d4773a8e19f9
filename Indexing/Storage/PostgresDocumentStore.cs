using System.Data.Common;
using Npgsql;

namespace Search.Indexing.Storage;

/// <summary>The server store: PostgreSQL through Npgsql, for deployments with several service processes.</summary>
public sealed class PostgresDocumentStore : SqlDocumentStore
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Connects with an Npgsql connection string.</summary>
    public PostgresDocumentStore(string connectionString) : base(new PostgresDialect())
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <inheritdoc />
    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
