using Search.Segmentation.Analysis;
using Search.Indexing.Extraction;
using Search.Indexing.Ingestion;
using Search.Indexing.Lexical;
using Search.Indexing.Storage;
using Search.Ranking.Embeddings;
using Search.Segmentation;

namespace Search.Ranking;

/// <summary>Where documents are stored.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>Everything that configures an engine; the defaults are the embedded product.</summary>
public sealed record EngineOptions
{
    /// <summary>The store: embedded SQLite (default) or PostgreSQL.</summary>
    public StoreKind Store { get; init; } = StoreKind.Sqlite;

    /// <summary>The folder of the embedded store.</summary>
    public string DataDirectory { get; init; } = ".data";

    /// <summary>The Npgsql connection string when <see cref="Store"/> is PostgreSQL.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>Whether SQLite fsyncs every commit (see <see cref="SqliteDocumentStore"/>).</summary>
    public bool Durable { get; init; } = true;

    /// <summary>BM25 constants and field weights.</summary>
    public Bm25Parameters Bm25 { get; init; } = new();

    /// <summary>Segment size limits.</summary>
    public SegmenterOptions Segmenter { get; init; } = new();

    /// <summary>Whether indexes are kept on disk (committed, resumed on start) or in memory only.</summary>
    public bool PersistIndexes { get; init; } = true;

    /// <summary>Input size limits.</summary>
    public IngestionOptions Ingestion { get; init; } = new();

    /// <summary>A sentence-embedding model directory (when null, $SEARCH_EMBEDDING_MODEL): served under its directory name, and every
    /// collection's dense vectors are made with it instead of an embedder learned from the collection.</summary>
    public string? EmbeddingModelDirectory { get; init; }
}

/// <summary>The composition of store, ingestion, indexes and search that the service, the CLI and the evaluation harness share.</summary>
public sealed class SearchEngine : IAsyncDisposable
{
    /// <summary>The system of record.</summary>
    public IDocumentStore Store { get; }

    /// <summary>Extraction, segmentation and storage of documents.</summary>
    public IngestionPipeline Ingestion { get; }

    /// <summary>Runs bulk tasks.</summary>
    public BulkTaskRunner Tasks { get; }

    /// <summary>The derived indexes.</summary>
    public CollectionIndexes Indexes { get; }

    /// <summary>The query path.</summary>
    public SearchService Search { get; }

    /// <summary>The options it was built with.</summary>
    public EngineOptions Options { get; }

    /// <summary>The embedders by name (POST /v1/embeddings serves them).</summary>
    public EmbedderRegistry Embedders { get; }

    private SearchEngine(IDocumentStore store, EngineOptions options, EmbedderRegistry embedders, Hybrid.DenseEmbedder? denseModel)
    {
        Embedders = embedders;
        Options = options;
        Store = store;
        var bm25 = options.Bm25;
        // Indexes are derived data: an embedded store keeps them beside the database; a server store in a local folder per process.
        string root = Path.Combine(options.DataDirectory, "index", options.Store == StoreKind.Sqlite ? "sqlite" : "postgres");
        Indexes = new CollectionIndexes(store, new IndexSettings(options.PersistIndexes ? root : null, Analyzer.English, bm25,
            message => Console.Error.WriteLine("search: " + message), denseModel));
        Ingestion = new IngestionPipeline(store, ExtractorRegistry.Default, new TopicalSegmenter(options.Segmenter), options.Ingestion, Indexes.LoadedTermStatistics);
        Tasks = new BulkTaskRunner(store, Ingestion);
        Search = new SearchService(store, Indexes);
    }

    /// <summary>Opens the store (migrating its schema) and wires the engine.</summary>
    public static async Task<SearchEngine> OpenAsync(EngineOptions options, CancellationToken ct = default)
    {
        options.Bm25.Validate();
        options.Segmenter.Validate();
        // Loaded before the store opens, so a bad model directory fails the start with nothing to undo.
        var embedders = EmbedderRegistry.Configured(options.EmbeddingModelDirectory);
        Hybrid.DenseEmbedder? denseModel;
        try
        {
            denseModel = embedders.DirectoryModel is { } model ? Hybrid.DenseEmbedder.FromModel(model) : null;
        }
        catch
        {
            embedders.Dispose();
            throw;
        }
        IDocumentStore store = options.Store switch
        {
            StoreKind.Postgres => new PostgresDocumentStore(options.PostgresConnectionString
                ?? throw new ArgumentException("a PostgreSQL store needs a connection string (--postgres or SEARCH_POSTGRES)")),
            _ => new SqliteDocumentStore(Path.Combine(options.DataDirectory, "search.db"), options.Durable),
        };
        try
        {
            await store.MigrateAsync(ct);
        }
        catch
        {
            await store.DisposeAsync();
            embedders.Dispose();
            throw;
        }
        return new SearchEngine(store, options, embedders, denseModel);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Indexes.CommitAll();
        Indexes.Dispose();
        await Store.DisposeAsync();
        Embedders.Dispose();
    }
}
