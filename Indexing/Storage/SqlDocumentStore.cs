using Search.Segmentation;
using System.Data.Common;
using System.Text;

namespace Search.Indexing.Storage;

/// <summary>
/// The document store over ADO.NET, shared by SQLite and PostgreSQL: one schema, one set of
/// statements, with the differences kept in a <see cref="SqlDialect"/>. Every write runs in one
/// transaction and returns only after it commits.
/// </summary>
public abstract class SqlDocumentStore : IDocumentStore
{

    private const string SegmentColumns = "document_id, ordinal, text, start_char, end_char, section_path, start_seconds, end_seconds, speaker, chapter_ordinal, chapter_title, chapter_start, chapter_end";
    private const string TaskColumns = "t.id, t.collection, t.state, t.total, t.done, t.failed, t.cancel_requested, t.error, t.created_ms, t.updated_ms";

    private readonly string _documentColumns;

    /// <summary>The dialect of this store's database.</summary>
    protected SqlDialect Dialect { get; }

    /// <summary>Creates the store for a dialect.</summary>
    protected SqlDocumentStore(SqlDialect dialect)
    {
        Dialect = dialect;
        _documentColumns = "d.id, c.name, d.external_id, d.title, d.source, d.media_type, d.kind, " + dialect.JsonAsText("d.metadata")
            + ", d.content_hash, d.version, d.created_ms, d.updated_ms, d.segment_count";
    }

    /// <inheritdoc />
    public event EventHandler<CollectionChangedEventArgs>? CollectionChanged;

    private void Changed(string collection) => CollectionChanged?.Invoke(this, new CollectionChangedEventArgs(collection));

    /// <summary>Opens a new connection, ready for use.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DbCommand Command(DbConnection conn, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private static async Task<int> ExecAsync(DbConnection conn, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var cmd = Command(conn, tx, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(DbConnection conn, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var cmd = Command(conn, tx, sql, parameters);
        var v = await cmd.ExecuteScalarAsync(ct);
        return v is DBNull ? null : v;
    }

    private static async Task<List<T>> QueryAsync<T>(DbConnection conn, DbTransaction? tx, string sql, Func<DbDataReader, T> read, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var cmd = Command(conn, tx, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(read(reader));
        return list;
    }

    /// <summary>Runs <paramref name="work"/> in a transaction, retrying once when a concurrent writer won a unique key.</summary>
    private async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            await using var conn = await OpenAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            try
            {
                var result = await work(conn, tx);
                await tx.CommitAsync(ct);
                return result;
            }
            catch (DbException e) when (attempt < 2 && Dialect.IsUniqueViolation(e))
            {
                await tx.RollbackAsync(CancellationToken.None);
            }
        }
    }

    /// <inheritdoc />
    public async Task MigrateAsync(CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (Dialect.MigrationLock is { } lockSql) await ExecAsync(conn, tx, lockSql, ct);
        await ExecAsync(conn, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)", ct);
        long current = Convert.ToInt64(await ScalarAsync(conn, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", ct) ?? 0L);
        var migrations = Migrations.For(Dialect);
        for (int v = (int)current + 1; v <= migrations.Count; v++)
        {
            foreach (var statement in migrations[v - 1]) await ExecAsync(conn, tx, statement, ct);
            await ExecAsync(conn, tx, "INSERT INTO schema_migrations (version, applied_ms) VALUES (@v, @t)", ct, ("v", v), ("t", NowMs()));
        }
        await tx.CommitAsync(ct);
    }

    /// <inheritdoc />
    public async Task<int> GetSchemaVersionAsync(CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        return Convert.ToInt32(await ScalarAsync(conn, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", ct) ?? 0);
    }

    // ---- collections ----

    /// <inheritdoc />
    public async Task<bool> CreateCollectionAsync(string name, string? embedder = null, CancellationToken ct = default)
    {
        return await InTransactionAsync(async (conn, tx) =>
        {
            if (await ScalarAsync(conn, tx, "SELECT id FROM collections WHERE name = @n", ct, ("n", name)) is not null) return false;
            await ExecAsync(conn, tx, "INSERT INTO collections (name, created_ms, embedder) VALUES (@n, @t, @e)", ct, ("n", name), ("t", NowMs()), ("e", embedder));
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public async Task<bool> SetCollectionEmbedderAsync(string name, string? embedder, CancellationToken ct = default) =>
        await InTransactionAsync(async (conn, tx) =>
            await ExecAsync(conn, tx, "UPDATE collections SET embedder = @e WHERE name = @n", ct, ("e", embedder), ("n", name)) > 0, ct);

    private static Collection ReadCollection(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), FromMs(r.GetInt64(2)), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4), Convert.ToInt64(r.GetValue(5)));

    private const string CollectionSelect =
        "SELECT c.id, c.name, c.created_ms, (SELECT COUNT(*) FROM documents d WHERE d.collection_id = c.id), c.embedder,"
        + " (SELECT COALESCE(SUM(d.segment_count), 0) FROM documents d WHERE d.collection_id = c.id) FROM collections c";

    /// <inheritdoc />
    public async Task<IReadOnlyList<Collection>> ListCollectionsAsync(CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        return await QueryAsync(conn, null, CollectionSelect + " ORDER BY c.name", ReadCollection, ct);
    }

    /// <inheritdoc />
    public async Task<Collection?> GetCollectionAsync(string name, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        var list = await QueryAsync(conn, null, CollectionSelect + " WHERE c.name = @n", ReadCollection, ct, ("n", name));
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<long?> GetCollectionIdAsync(string name, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        var id = await ScalarAsync(conn, null, "SELECT id FROM collections WHERE name = @n", ct, ("n", name));
        return id is null ? null : Convert.ToInt64(id);
    }

    /// <inheritdoc />
    public async Task<CollectionKey?> GetCollectionKeyAsync(string name, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        var list = await QueryAsync(conn, null, "SELECT id, name, embedder FROM collections WHERE name = @n", ReadKey, ct, ("n", name));
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CollectionKey>> ListCollectionKeysAsync(CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        return await QueryAsync(conn, null, "SELECT id, name, embedder FROM collections ORDER BY name", ReadKey, ct);
    }

    private static CollectionKey ReadKey(DbDataReader r) => new(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2));

    /// <inheritdoc />
    public async Task<bool> DeleteCollectionAsync(string name, CancellationToken ct = default)
    {
        return await InTransactionAsync(async (conn, tx) =>
        {
            var id = await ScalarAsync(conn, tx, "SELECT id FROM collections WHERE name = @n", ct, ("n", name));
            if (id is null) return false;
            long now = NowMs();
            // A queued task never starts; a running one stops at its next item (its runner sees the request).
            await ExecAsync(conn, tx, "UPDATE tasks SET state = 'cancelled', cancel_requested = 1, updated_ms = @t WHERE collection_id = @c AND state = 'queued'", ct,
                ("t", now), ("c", id));
            await ExecAsync(conn, tx, "UPDATE tasks SET cancel_requested = 1, updated_ms = @t WHERE collection_id = @c AND state = 'running'", ct, ("t", now), ("c", id));
            return await ExecAsync(conn, tx, "DELETE FROM collections WHERE id = @c", ct, ("c", id)) > 0;
        }, ct);
    }

    /// <summary>Takes the collection's write lock where the dialect needs one; call before writing a change record.</summary>
    private async Task LockCollectionAsync(DbConnection conn, DbTransaction tx, long collectionId, CancellationToken ct)
    {
        if (Dialect.CollectionWriteLock is { } sql) await ExecAsync(conn, tx, sql, ct, ("c", collectionId));
    }

    private static async Task<long> CollectionIdAsync(DbConnection conn, DbTransaction? tx, string name, CancellationToken ct)
    {
        var id = await ScalarAsync(conn, tx, "SELECT id FROM collections WHERE name = @n", ct, ("n", name));
        return id is null ? throw new NotFoundException($"collection '{name}' does not exist") : Convert.ToInt64(id);
    }

    // ---- documents ----

    private static StoredDocument ReadDocument(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
        r.GetString(5), r.GetString(6), r.GetString(7), r.GetString(8), r.GetInt32(9),
        FromMs(r.GetInt64(10)), FromMs(r.GetInt64(11)), r.GetInt32(12));

    private async Task<StoredDocument?> DocumentWhereAsync(DbConnection conn, DbTransaction? tx, string where, CancellationToken ct, params (string, object?)[] parameters)
    {
        var list = await QueryAsync(conn, tx,
            $"SELECT {_documentColumns} FROM documents d JOIN collections c ON c.id = d.collection_id WHERE {where}", ReadDocument, ct, parameters);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<UpsertResult> UpsertDocumentAsync(string collection, DocumentWrite document, CancellationToken ct = default)
    {
        var result = await InTransactionAsync(async (conn, tx) =>
        {
            long cid = await CollectionIdAsync(conn, tx, collection, ct);
            await LockCollectionAsync(conn, tx, cid, ct);
            if (!document.ExplicitId)
            {
                var same = await DocumentWhereAsync(conn, tx, "d.collection_id = @c AND d.content_hash = @h ORDER BY d.id LIMIT 1", ct,
                    ("c", cid), ("h", document.ContentHash));
                if (same is not null) return new UpsertResult(same, WriteOutcome.Unchanged, await LastChangeOfAsync(conn, tx, same.Id, ct));
            }
            var existing = await DocumentWhereAsync(conn, tx, "d.collection_id = @c AND d.external_id = @e", ct, ("c", cid), ("e", document.ExternalId));
            if (existing is not null && existing.ContentHash == document.ContentHash) return new UpsertResult(existing, WriteOutcome.Unchanged, await LastChangeOfAsync(conn, tx, existing.Id, ct));

            long now = NowMs();
            long id;
            (string, object?)[] fields =
            [
                ("c", cid), ("e", document.ExternalId), ("ti", document.Title), ("so", document.Source), ("mt", document.MediaType),
                ("k", document.Kind.ToString().ToLowerInvariant()), ("m", document.MetadataJson), ("h", document.ContentHash),
                ("st", document.StructureJson), ("sc", document.Segments.Count), ("t", now),
            ];
            if (existing is null)
            {
                id = Convert.ToInt64(await ScalarAsync(conn, tx,
                    $"""
                    INSERT INTO documents (collection_id, external_id, title, source, media_type, kind, metadata, content_hash, structure, version, segment_count, created_ms, updated_ms)
                    VALUES (@c, @e, @ti, @so, @mt, @k, {Dialect.JsonParameter("m")}, @h, @st, 1, @sc, @t, @t) RETURNING id
                    """, ct, fields));
            }
            else
            {
                id = existing.Id;
                await ExecAsync(conn, tx,
                    $"""
                    UPDATE documents SET title = @ti, source = @so, media_type = @mt, kind = @k, metadata = {Dialect.JsonParameter("m")}, content_hash = @h,
                      structure = @st, version = version + 1, segment_count = @sc, updated_ms = @t WHERE id = @id
                    """, ct, [.. fields, ("id", id)]);
                await ExecAsync(conn, tx, "DELETE FROM segments WHERE document_id = @id", ct, ("id", id));
            }
            await InsertSegmentsAsync(conn, tx, id, document, ct);
            long sequence = await RecordChangeAsync(conn, tx, cid, id, deleted: false, ct);
            var stored = await DocumentWhereAsync(conn, tx, "d.id = @id", ct, ("id", id));
            return new UpsertResult(stored!, existing is null ? WriteOutcome.Created : WriteOutcome.Updated, sequence);
        }, ct);
        if (result.Outcome != WriteOutcome.Unchanged) Changed(collection);
        return result;
    }

    private static async Task<long> RecordChangeAsync(DbConnection conn, DbTransaction tx, long collectionId, long documentId, bool deleted, CancellationToken ct) =>
        Convert.ToInt64(await ScalarAsync(conn, tx, "INSERT INTO changes (collection_id, document_id, deleted) VALUES (@c, @d, @x) RETURNING seq", ct,
            ("c", collectionId), ("d", documentId), ("x", deleted ? 1 : 0)));

    private static async Task<long> LastChangeOfAsync(DbConnection conn, DbTransaction tx, long documentId, CancellationToken ct) =>
        Convert.ToInt64(await ScalarAsync(conn, tx, "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE document_id = @d", ct, ("d", documentId)) ?? 0L);

    private static async Task InsertSegmentsAsync(DbConnection conn, DbTransaction tx, long documentId, DocumentWrite document, CancellationToken ct)
    {
        const int rowsPerStatement = 100;
        var segments = document.Segments;
        for (int start = 0; start < segments.Count; start += rowsPerStatement)
        {
            int end = Math.Min(segments.Count, start + rowsPerStatement);
            var sql = new StringBuilder($"INSERT INTO segments ({SegmentColumns}) VALUES ");
            var parameters = new List<(string, object?)>((end - start) * 12 + 1) { ("d", documentId) };
            for (int i = start; i < end; i++)
            {
                var s = segments[i];
                if (i > start) sql.Append(',');
                sql.Append($"(@d, @o{i}, @x{i}, @a{i}, @b{i}, @p{i}, @s{i}, @e{i}, @k{i}, @co{i}, @ct{i}, @cs{i}, @ce{i})");
                parameters.Add(($"o{i}", s.Ordinal));
                parameters.Add(($"x{i}", s.Text));
                parameters.Add(($"a{i}", s.StartChar));
                parameters.Add(($"b{i}", s.EndChar));
                parameters.Add(($"p{i}", s.SectionPath));
                parameters.Add(($"s{i}", s.StartSeconds));
                parameters.Add(($"e{i}", s.EndSeconds));
                parameters.Add(($"k{i}", s.Speaker));
                parameters.Add(($"co{i}", s.Chapter?.Ordinal));
                parameters.Add(($"ct{i}", s.Chapter?.Title));
                parameters.Add(($"cs{i}", s.Chapter?.StartSeconds));
                parameters.Add(($"ce{i}", s.Chapter?.EndSeconds));
            }
            await ExecAsync(conn, tx, sql.ToString(), ct, [.. parameters]);
        }
    }

    /// <inheritdoc />
    public async Task<StoredDocument?> GetDocumentAsync(string collection, string externalId, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        return await DocumentWhereAsync(conn, null, "c.name = @n AND d.external_id = @e", ct, ("n", collection), ("e", externalId));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> GetDocumentsAsync(IReadOnlyCollection<long> ids, CancellationToken ct = default)
    {
        var result = new List<StoredDocument>(ids.Count);
        if (ids.Count == 0) return result;
        await using var conn = await OpenAsync(ct);
        foreach (var chunk in ids.Chunk(500))
        {
            var (list, parameters) = InList("i", chunk);
            result.AddRange(await QueryAsync(conn, null,
                $"SELECT {_documentColumns} FROM documents d JOIN collections c ON c.id = d.collection_id WHERE d.id IN ({list})", ReadDocument, ct, parameters));
        }
        return result;
    }

    private static (string List, (string, object?)[] Parameters) InList(string prefix, long[] values)
    {
        var names = new string[values.Length];
        var parameters = new (string, object?)[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            names[i] = "@" + prefix + i;
            parameters[i] = (prefix + i, values[i]);
        }
        return (string.Join(',', names), parameters);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string collection, int offset, int limit, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        await CollectionIdAsync(conn, null, collection, ct);
        return await QueryAsync(conn, null,
            $"SELECT {_documentColumns} FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = @n ORDER BY d.id LIMIT @l OFFSET @o",
            ReadDocument, ct, ("n", collection), ("l", limit), ("o", offset));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> GetDocumentsAfterAsync(string collection, long afterId, int limit, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        long cid = await CollectionIdAsync(conn, null, collection, ct);
        return await QueryAsync(conn, null,
            $"SELECT {_documentColumns} FROM documents d JOIN collections c ON c.id = d.collection_id WHERE d.collection_id = @c AND d.id > @a ORDER BY d.id LIMIT @l",
            ReadDocument, ct, ("c", cid), ("a", afterId), ("l", limit));
    }

    /// <inheritdoc />
    public async Task<long?> DeleteDocumentAsync(string collection, string externalId, CancellationToken ct = default)
    {
        var sequence = await InTransactionAsync<long?>(async (conn, tx) =>
        {
            long cid = await CollectionIdAsync(conn, tx, collection, ct);
            await LockCollectionAsync(conn, tx, cid, ct);
            var id = await ScalarAsync(conn, tx, "SELECT id FROM documents WHERE collection_id = @c AND external_id = @e", ct, ("c", cid), ("e", externalId));
            if (id is null) return null;
            await ExecAsync(conn, tx, "DELETE FROM documents WHERE id = @d", ct, ("d", id));
            return await RecordChangeAsync(conn, tx, cid, Convert.ToInt64(id), deleted: true, ct);
        }, ct);
        if (sequence is not null) Changed(collection);
        return sequence;
    }

    // ---- segments ----

    private static StoredSegment ReadSegment(DbDataReader r) => new(r.GetInt64(0), new Segment(
        r.GetInt32(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.GetString(5),
        r.IsDBNull(6) ? null : r.GetDouble(6), r.IsDBNull(7) ? null : r.GetDouble(7), r.IsDBNull(8) ? null : r.GetString(8),
        r.IsDBNull(9) ? null : new Chapter(r.GetInt32(9), r.GetString(10), r.IsDBNull(11) ? null : r.GetDouble(11), r.IsDBNull(12) ? null : r.GetDouble(12))));

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredSegment>> GetSegmentsAsync(IReadOnlyCollection<long> documentIds, CancellationToken ct = default)
    {
        var result = new List<StoredSegment>();
        if (documentIds.Count == 0) return result;
        await using var conn = await OpenAsync(ct);
        foreach (var chunk in documentIds.Chunk(500))
        {
            var (list, parameters) = InList("i", chunk);
            result.AddRange(await QueryAsync(conn, null,
                $"SELECT {SegmentColumns} FROM segments WHERE document_id IN ({list}) ORDER BY document_id, ordinal", ReadSegment, ct, parameters));
        }
        return result;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredSegment>> GetSegmentsAsync(IReadOnlyCollection<(long DocumentId, int Ordinal)> keys, CancellationToken ct = default)
    {
        var result = new List<StoredSegment>(keys.Count);
        if (keys.Count == 0) return result;
        await using var conn = await OpenAsync(ct);
        foreach (var chunk in keys.Chunk(200))
        {
            var where = new StringBuilder();
            var parameters = new (string, object?)[chunk.Length * 2];
            for (int i = 0; i < chunk.Length; i++)
            {
                if (i > 0) where.Append(" OR ");
                where.Append($"(document_id = @d{i} AND ordinal = @o{i})");
                parameters[2 * i] = ($"d{i}", chunk[i].DocumentId);
                parameters[2 * i + 1] = ($"o{i}", chunk[i].Ordinal);
            }
            result.AddRange(await QueryAsync(conn, null, $"SELECT {SegmentColumns} FROM segments WHERE {where}", ReadSegment, ct, parameters));
        }
        return result;
    }

    // ---- change log ----

    /// <inheritdoc />
    public async Task<long> GetLastChangeAsync(string collection, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        long cid = await CollectionIdAsync(conn, null, collection, ct);
        return Convert.ToInt64(await ScalarAsync(conn, null, "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE collection_id = @c", ct, ("c", cid)) ?? 0L);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ChangeRecord>> GetChangesAsync(string collection, long afterSequence, int limit, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        long cid = await CollectionIdAsync(conn, null, collection, ct);
        return await QueryAsync(conn, null,
            "SELECT seq, document_id, deleted FROM changes WHERE collection_id = @c AND seq > @s ORDER BY seq LIMIT @l",
            r => new ChangeRecord(r.GetInt64(0), r.GetInt64(1), r.GetInt32(2) != 0), ct, ("c", cid), ("s", afterSequence), ("l", limit));
    }

    /// <inheritdoc />
    public async Task<long> CountChangesAsync(string collection, long afterSequence, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        long cid = await CollectionIdAsync(conn, null, collection, ct);
        return Convert.ToInt64(await ScalarAsync(conn, null, "SELECT COUNT(*) FROM changes WHERE collection_id = @c AND seq > @s", ct, ("c", cid), ("s", afterSequence)) ?? 0L);
    }

    // ---- statistics ----

    /// <inheritdoc />
    public async Task<StoredStatistics?> GetStatisticsAsync(string collection, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        long cid = await CollectionIdAsync(conn, null, collection, ct);
        var list = await QueryAsync(conn, null, "SELECT version, through_seq, documents, embedder, payload, created_ms FROM collection_statistics WHERE collection_id = @c",
            r => new StoredStatistics(r.GetInt32(0), r.GetInt64(1), r.GetInt64(2), r.GetString(3), (byte[])r.GetValue(4), FromMs(r.GetInt64(5))), ct, ("c", cid));
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<StatisticsVersion> GetStatisticsVersionAsync(string collection, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        var rows = await QueryAsync(conn, null,
            "SELECT c.id, COALESCE(s.version, 0) FROM collections c LEFT JOIN collection_statistics s ON s.collection_id = c.id WHERE c.name = @n",
            r => new StatisticsVersion(r.GetInt64(0), r.GetInt32(1)), ct, ("n", collection));
        return rows.Count == 0 ? throw new NotFoundException($"collection '{collection}' does not exist") : rows[0];
    }

    /// <inheritdoc />
    public async Task<int> PutStatisticsAsync(string collection, StatisticsWrite statistics, CancellationToken ct = default)
    {
        return await InTransactionAsync(async (conn, tx) =>
        {
            long cid = await CollectionIdAsync(conn, tx, collection, ct);
            int version = Convert.ToInt32(await ScalarAsync(conn, tx, "SELECT COALESCE(MAX(version), 0) FROM collection_statistics WHERE collection_id = @c", ct, ("c", cid)) ?? 0) + 1;
            await ExecAsync(conn, tx, "DELETE FROM collection_statistics WHERE collection_id = @c", ct, ("c", cid));
            await ExecAsync(conn, tx,
                "INSERT INTO collection_statistics (collection_id, version, through_seq, documents, embedder, payload, created_ms) VALUES (@c, @v, @s, @d, @e, @p, @t)", ct,
                ("c", cid), ("v", version), ("s", statistics.Through), ("d", statistics.Documents), ("e", statistics.Embedder), ("p", statistics.Payload), ("t", NowMs()));
            return version;
        }, ct);
    }

    // ---- tasks ----

    private static IngestTask ReadTask(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), Enum.Parse<TaskState>(r.GetString(2), ignoreCase: true), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5),
        r.GetInt32(6) != 0, r.IsDBNull(7) ? null : r.GetString(7), FromMs(r.GetInt64(8)), FromMs(r.GetInt64(9)));

    private const string TaskSelect = "SELECT " + TaskColumns + " FROM tasks t";

    private static string StateName<T>(T state) where T : struct, Enum => state.ToString().ToLowerInvariant();

    /// <inheritdoc />
    public async Task<IngestTask> CreateTaskAsync(string collection, IReadOnlyList<TaskItemInput> items, CancellationToken ct = default)
    {
        string id = Guid.CreateVersion7().ToString("N");
        await InTransactionAsync(async (conn, tx) =>
        {
            long cid = await CollectionIdAsync(conn, tx, collection, ct);
            long now = NowMs();
            await ExecAsync(conn, tx,
                "INSERT INTO tasks (id, collection_id, collection, state, total, done, failed, cancel_requested, error, created_ms, updated_ms) VALUES (@i, @c, @cn, @s, @n, 0, 0, 0, NULL, @t, @t)",
                ct, ("i", id), ("c", cid), ("cn", collection), ("s", StateName(TaskState.Queued)), ("n", items.Count), ("t", now));
            int ordinal = 0;
            foreach (var chunk in items.Chunk(200))
            {
                var sql = new StringBuilder("INSERT INTO task_items (task_id, ordinal, kind, payload, state) VALUES ");
                var parameters = new List<(string, object?)> { ("i", id), ("st", StateName(TaskItemState.Pending)) };
                for (int j = 0; j < chunk.Length; j++, ordinal++)
                {
                    if (j > 0) sql.Append(',');
                    sql.Append($"(@i, @o{j}, @k{j}, @p{j}, @st)");
                    parameters.Add(($"o{j}", ordinal));
                    parameters.Add(($"k{j}", StateName(chunk[j].Kind)));
                    parameters.Add(($"p{j}", chunk[j].Payload));
                }
                await ExecAsync(conn, tx, sql.ToString(), ct, [.. parameters]);
            }
            return 0;
        }, ct);
        return (await GetTaskAsync(id, ct))!;
    }

    /// <inheritdoc />
    public async Task<IngestTask?> GetTaskAsync(string id, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        var list = await QueryAsync(conn, null, TaskSelect + " WHERE t.id = @i", ReadTask, ct, ("i", id));
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<IngestTask>> ListTasksAsync(int limit, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        return await QueryAsync(conn, null, TaskSelect + " ORDER BY t.created_ms DESC, t.id DESC LIMIT @l", ReadTask, ct, ("l", limit));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskItem>> GetTaskItemsAsync(string taskId, TaskItemState? onlyState, int fromOrdinal, int limit, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        string filter = onlyState is null ? "" : " AND state = @st";
        return await QueryAsync(conn, null,
            $"SELECT task_id, ordinal, kind, payload, state, error, document_id FROM task_items WHERE task_id = @i AND ordinal >= @o{filter} ORDER BY ordinal LIMIT @l",
            r => new TaskItem(r.GetString(0), r.GetInt32(1), Enum.Parse<TaskItemKind>(r.GetString(2), true), r.GetString(3),
                Enum.Parse<TaskItemState>(r.GetString(4), true), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)),
            ct, onlyState is { } s
                ? [("i", taskId), ("o", fromOrdinal), ("l", limit), ("st", StateName(s))]
                : [("i", taskId), ("o", fromOrdinal), ("l", limit)]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<IngestTask>> GetUnfinishedTasksAsync(CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        return await QueryAsync(conn, null, TaskSelect + " WHERE t.state IN ('queued', 'running') ORDER BY t.created_ms, t.id", ReadTask, ct);
    }

    /// <inheritdoc />
    public async Task SetTaskStateAsync(string id, TaskState state, string? error, CancellationToken ct = default)
    {
        await InTransactionAsync(async (conn, tx) =>
            await ExecAsync(conn, tx, "UPDATE tasks SET state = @s, error = @e, updated_ms = @t WHERE id = @i", ct,
                ("s", StateName(state)), ("e", error), ("t", NowMs()), ("i", id)), ct);
    }

    /// <inheritdoc />
    public async Task CompleteTaskItemAsync(string taskId, int ordinal, TaskItemState state, string? error, string? documentId, long sequence, CancellationToken ct = default)
    {
        await InTransactionAsync(async (conn, tx) =>
        {
            // Only a pending item counts, so replaying an item after a restart never counts it twice.
            int changed = await ExecAsync(conn, tx,
                "UPDATE task_items SET state = @s, error = @e, document_id = @d, sequence = @q WHERE task_id = @i AND ordinal = @o AND state = 'pending'", ct,
                ("s", StateName(state)), ("e", error), ("d", documentId), ("q", sequence), ("i", taskId), ("o", ordinal));
            if (changed == 0) return 0;
            string counter = state == TaskItemState.Done ? "done" : "failed";
            return await ExecAsync(conn, tx, $"UPDATE tasks SET {counter} = {counter} + 1, updated_ms = @t WHERE id = @i", ct, ("t", NowMs()), ("i", taskId));
        }, ct);
    }

    /// <inheritdoc />
    public async Task<TaskItemsThrough> CountTaskItemsThroughAsync(string taskId, long throughSequence, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct);
        var rows = await QueryAsync(conn, null, """
            SELECT COUNT(*), COALESCE(SUM(d.segment_count), 0) FROM task_items i JOIN tasks t ON t.id = i.task_id
            LEFT JOIN documents d ON d.collection_id = t.collection_id AND d.external_id = i.document_id
            WHERE i.task_id = @i AND i.state = 'done' AND COALESCE(i.sequence, 0) <= @s
            """, r => new TaskItemsThrough(Convert.ToInt32(r.GetValue(0)), Convert.ToInt64(r.GetValue(1))), ct, ("i", taskId), ("s", throughSequence));
        return rows.Count == 0 ? default : rows[0];
    }

    /// <inheritdoc />
    public async Task<bool> RequestCancelAsync(string id, CancellationToken ct = default)
    {
        return await InTransactionAsync(async (conn, tx) =>
            await ExecAsync(conn, tx, "UPDATE tasks SET cancel_requested = 1, updated_ms = @t WHERE id = @i AND state IN ('queued', 'running')", ct,
                ("t", NowMs()), ("i", id)) > 0, ct);
    }
}
