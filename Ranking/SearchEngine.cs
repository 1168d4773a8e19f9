using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Search.Indexing.Dense;
using Search.Indexing.Embeddings;
using Search.Indexing.Extraction;
using Search.Indexing.Ingestion;
using Search.Indexing.Lexical;
using Search.Indexing.Pipeline;
using Search.Indexing.Statistics;
using Search.Indexing.Storage;
using Search.Ranking.Collections;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;
using Search.Ranking.Reranking;
using Search.Ranking.Reranking.InContext;
using Search.Segmentation;
using Search.Segmentation.Analysis;

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

    /// <summary>The folder of the embedded store and of the indexes.</summary>
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

    /// <summary>Who indexes in this process, and how often stages commit; the engine fills in where indexes live and what embeds.</summary>
    public IndexingOptions Indexing { get; init; } = new();

    /// <summary>Input size limits.</summary>
    public IngestionOptions Ingestion { get; init; } = new();

    /// <summary>
    /// A sentence-embedding model: a BERT-family directory, or an ONNX file with vocab.txt beside it. It is served
    /// under its name and becomes the default embedder of collections that name none.
    /// </summary>
    public string? EmbeddingModelPath { get; init; }

    /// <summary>An embedder given as an object, served under its model id and made the default (tests; the engine does not dispose it).</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? EmbeddingModel { get; init; }

    /// <summary>
    /// The embedder of collections that name none: a packaged encoder ("all-minilm-l6-v2", "arctic-embed-xs"), the
    /// configured model, or "corpus" (learned from each collection). Null: the configured model if any, else <see cref="EmbedderSettings.PackagedDefault"/>.
    /// </summary>
    public string? DefaultEmbedder { get; init; }

    /// <summary>What runs the packaged encoders on the CPU.</summary>
    public EncoderRuntime EncoderRuntime { get; init; } = EncoderRuntime.OnnxInt8;

    /// <summary>
    /// A GPU the packaged encoders run on (the host opens it at start and keeps it for the process; several engines may
    /// share it, and the ranker's attention may run on it too); null: <see cref="EncoderRuntime"/> on the CPU.
    /// </summary>
    public IlgpuDevice? Device { get; init; }

    /// <summary>
    /// The ranker of ranked searches: a model file written by <c>ranker train</c>, else the shipped one unless
    /// <see cref="ShippedRanker"/> is off; with neither, ranked searches answer in hybrid order and say so.
    /// </summary>
    public string? RankerPath { get; init; }

    /// <summary>
    /// Whether ranked searches use the shipped learned ranker (<see cref="LinearRanker.LoadDefault"/>) when no other is
    /// given (the default: leave-one-collection-out it beats hybrid on every dev set); false leaves ranked searches in
    /// hybrid order.
    /// </summary>
    public bool ShippedRanker { get; init; } = true;

    /// <summary>Bytes of passage token states the learned ranker's encoder evidence keeps between queries.</summary>
    public long RankerEvidenceCacheBytes { get; init; } = 256L << 20;

    /// <summary>
    /// A decoder model directory (Llama, Mistral, Qwen2/3 in Hugging Face layout) for in-context ranking with the
    /// passage-KV store under the data directory; not together with <see cref="RankerPath"/>.
    /// </summary>
    public string? RankerModelPath { get; init; }

    /// <summary>How the in-context ranker builds its context, which layer it reads and how it stores passage K/V.</summary>
    public InContextRankerOptions InContextRanker { get; init; } = new();

    /// <summary>
    /// Where the in-context ranker's attention runs (the host chooses the device at start and keeps it for the process:
    /// several engines may share it, as the evaluations' scratch engines do); null: the CPU kernels.
    /// </summary>
    public IAttentionBackend? RankerAttention { get; init; }

    /// <summary>The passage-KV store's budgets (its directory is <c>passage-kv</c> in the data directory).</summary>
    public PassageKvStoreOptions PassageKv { get; init; } = new();

    /// <summary>A ranker given as an object (tests); it takes precedence over <see cref="RankerPath"/>.</summary>
    public IRanker? Ranker { get; init; }

    /// <summary>How long a ranker may take for one query before the hybrid order is returned instead.</summary>
    public TimeSpan RankerTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>The composition of store, ingestion, the indexing pipeline and search that the service, the command line and the evaluations share.</summary>
public sealed class SearchEngine : IAsyncDisposable
{
    /// <summary>The system of record.</summary>
    public IDocumentStore Store { get; }

    /// <summary>Extraction, segmentation and storage of documents.</summary>
    public IngestionPipeline Ingestion { get; }

    /// <summary>Carries out bulk tasks.</summary>
    public BulkTaskRunner TaskRunner { get; }

    /// <summary>The derived indexes and the pipeline that keeps them.</summary>
    public CollectionIndexes Indexes { get; }

    /// <summary>The query path.</summary>
    public SearchService Search { get; }

    /// <summary>Collections: create, view, delete.</summary>
    public CollectionService Collections { get; }

    /// <summary>Single documents: write, read, delete.</summary>
    public DocumentService Documents { get; }

    /// <summary>Bulk tasks: queue, follow, cancel.</summary>
    public TaskService Tasks { get; }

    /// <summary>The options it was built with.</summary>
    public EngineOptions Options { get; }

    /// <summary>The embedders by name (POST /v1/embeddings serves them).</summary>
    public EmbedderRegistry Embedders { get; }

    private readonly ConcurrentDictionary<string, DenseEmbedder?> _denseModels = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    private SearchEngine(IDocumentStore store, EngineOptions options, EmbedderRegistry embedders, IRanker? ranker, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger<SearchEngine>();
        Embedders = embedders;
        Options = options;
        Store = store;
        // Indexes are derived data: an embedded store keeps them beside the database; a server store in a local folder per process.
        string root = Path.Combine(options.DataDirectory, "index", options.Store == StoreKind.Sqlite ? "sqlite" : "postgres");
        var indexing = options.Indexing with { Root = options.PersistIndexes ? root : null, Analyzer = Analyzer.English, Bm25 = options.Bm25, Embedders = DenseModel };
        Indexes = new CollectionIndexes(store, indexing, loggers.CreateLogger<CollectionIndexes>());
        Ingestion = new IngestionPipeline(store, ExtractorRegistry.Default, new TopicalSegmenter(options.Segmenter), options.Ingestion, new PublishedStatistics(store, Analyzer.English));
        TaskRunner = new BulkTaskRunner(store, Ingestion);
        Search = new SearchService(store, Indexes) { Ranker = ranker, RankerTimeout = options.RankerTimeout };
        Collections = new CollectionService(store, Indexes, embedders);
        Documents = new DocumentService(store, Ingestion, Indexes);
        Tasks = new TaskService(store, Ingestion, Indexes);
    }

    private static IRanker? LoadRanker(EngineOptions options, EmbedderRegistry embedders)
    {
        if (options.RankerPath is not null && options.RankerModelPath is not null)
            throw new ArgumentException("give a learned ranker file or a ranker model, not both");
        if (options.RankerModelPath is { } model)
        {
            var store = new PassageKvStore(options.PassageKv with { Directory = Path.Combine(options.DataDirectory, "passage-kv") });
            return InContextRanker.Load(model, options.InContextRanker, store, options.RankerAttention);
        }
        // The encoders load on a learned ranker's first use, not here.
        var evidence = EncoderEvidence.FromPackaged(embedders, options.RankerEvidenceCacheBytes);
        if (options.RankerPath is { } path) return LinearRanker.Load(path, evidence);
        return options.ShippedRanker ? LinearRanker.LoadDefault(evidence) : null;
    }

    /// <summary>Opens the store (migrating its schema) and wires the engine; the background pipeline starts with <see cref="CollectionIndexes.StartAsync"/>.</summary>
    public static async Task<SearchEngine> OpenAsync(EngineOptions options, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        options.Bm25.Validate();
        options.Segmenter.Validate();
        // Loaded before the store opens, so a bad model path fails the start with nothing to undo.
        var embedders = EmbedderRegistry.Create(new EmbedderSettings(options.EmbeddingModelPath, options.DefaultEmbedder, options.EncoderRuntime, options.Device?.Accelerator, options.EmbeddingModel));
        IRanker? ranker;
        try
        {
            ranker = options.Ranker ?? LoadRanker(options, embedders);
        }
        catch
        {
            embedders.Dispose();
            throw;
        }
        IDocumentStore store = options.Store switch
        {
            StoreKind.Postgres => new PostgresDocumentStore(options.PostgresConnectionString
                ?? throw new ArgumentException("a PostgreSQL store needs a connection string")),
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
        return new SearchEngine(store, options, embedders, ranker, loggers ?? NullLoggerFactory.Instance);
    }

    /// <summary>
    /// The model behind an embedder name (null: the default), for a collection's dense stage; null means the collection
    /// learns its own. A name no longer offered (a model that was configured once) falls back to learning, with a warning.
    /// </summary>
    private DenseEmbedder? DenseModel(string? name) => _denseModels.GetOrAdd(name ?? Embedders.DefaultName, n =>
    {
        if (n == EmbedderRegistry.Corpus) return null;
        if (Embedders.TryGet(n, out var generator)) return DenseEmbedder.FromModel(generator);
        _logger.LogWarning("No embedder '{Embedder}' is offered; collections naming it learn their own", n);
        return null;
    });

    /// <summary>The store's kind and schema version, for a health check (a store that cannot answer throws).</summary>
    public async Task<(string Store, int SchemaVersion)> HealthAsync(CancellationToken ct) =>
        (Options.Store.ToString().ToLowerInvariant(), await Store.GetSchemaVersionAsync(ct));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Indexes.DisposeAsync();
        await Store.DisposeAsync();
        Embedders.Dispose();
    }
}
