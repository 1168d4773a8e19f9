using System.Globalization;
using Search.Indexing.Embeddings;
using Search.Indexing.Ingestion;
using Search.Indexing.Lexical;
using Search.Indexing.Pipeline;
using Search.Ranking;
using Search.Ranking.Reranking.InContext;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;
using Search.Models.Ilgpu;

namespace Search.Cli;

/// <summary>Engine options from the command line and the environment: the one place below which nothing reads either.</summary>
public static class EngineSettings
{
    /// <summary>
    /// The options every verb shares; <paramref name="mode"/> says who indexes in this process. Only verbs that rank
    /// (<paramref name="ranks"/>: serve, query, eval) read the in-context ranker's options: the others never load its model.
    /// </summary>
    public static EngineOptions From(CliArguments a, IndexingMode mode, bool durable = true, bool ranks = false)
    {
        string? rankerModel = ranks ? RankerModelPath(a) : null;
        string? ranker = RankerPath(a);
        IlgpuDevice? device = OpenDevice(Device(a));
        string store = a.Get("store") ?? Environment.GetEnvironmentVariable("SEARCH_STORE") ?? "sqlite";
        var kind = store.ToLowerInvariant() switch
        {
            "sqlite" => StoreKind.Sqlite,
            "postgres" or "postgresql" => StoreKind.Postgres,
            _ => throw new UsageException("--store must be sqlite or postgres"),
        };
        string? postgres = a.Get("postgres") ?? Environment.GetEnvironmentVariable("SEARCH_POSTGRES");
        if (kind == StoreKind.Postgres && string.IsNullOrEmpty(postgres)) throw new UsageException("a PostgreSQL store needs a connection string (--postgres or SEARCH_POSTGRES)");
        return new EngineOptions
        {
            Store = kind,
            DataDirectory = a.Get("data-dir") ?? Environment.GetEnvironmentVariable("SEARCH_DATA_DIR") ?? ".data",
            PostgresConnectionString = postgres,
            EmbeddingModelPath = a.Get("embedding-model") is { Length: > 0 } model ? model : Environment.GetEnvironmentVariable("SEARCH_EMBEDDING_MODEL") is { Length: > 0 } env ? env : null,
            DefaultEmbedder = a.Get("embedder") is { Length: > 0 } embedder ? embedder : Environment.GetEnvironmentVariable("SEARCH_EMBEDDER") is { Length: > 0 } e ? e : null,
            EncoderRuntime = (a.Get("runtime") ?? Environment.GetEnvironmentVariable("SEARCH_ENCODER_RUNTIME")) switch
            {
                null or "" or "onnx-int8" => EncoderRuntime.OnnxInt8,
                "onnx-fp32" => EncoderRuntime.OnnxFloat32,
                "models-fp32" => EncoderRuntime.ModelsFloat32,
                var other => throw new UsageException($"--runtime must be onnx-int8, onnx-fp32 or models-fp32, not '{other}'"),
            },
            RankerPath = ranker is null or "shipped" or "none" ? null : ranker,
            ShippedRanker = ranker is not "none",
            RankerModelPath = rankerModel,
            RankerTimeout = RankerTimeout(a) ?? new EngineOptions().RankerTimeout,
            Device = device,
            RankerAttention = rankerModel is null || device is null ? null : new IlgpuAttentionBackend(device.Accelerator),
            InContextRanker = rankerModel is null ? new InContextRankerOptions() : InContextRanker(a),
            PassageKv = rankerModel is null ? new PassageKvStoreOptions() : PassageKv(a),
            Ingestion = Ingestion(a),
            Durable = durable,
            Bm25 = new Bm25Parameters(K1: Double(a, "k1", 0.9), B: Double(a, "b", 0.4)),
            Indexing = new IndexingOptions
            {
                Mode = mode,
                EmbeddingCache = a.Get("embedding-cache") is { Length: > 0 } cache ? cache : Environment.GetEnvironmentVariable("SEARCH_EMBEDDING_CACHE") is { Length: > 0 } c ? c : null,
            },
        };
    }

    /// <summary>The input limits (each defaults to <see cref="IngestionOptions"/>' own); the ingest roots are the service's.</summary>
    private static IngestionOptions Ingestion(CliArguments a)
    {
        var defaults = new IngestionOptions();
        var extraction = defaults.Extraction;
        const long MiB = 1L << 20;
        return new IngestionOptions(a.GetInt("max-document-mib", (int)(defaults.MaxDocumentBytes / MiB), 1, 4096) * MiB)
        {
            MaxBulkBodyBytes = a.GetInt("max-bulk-mib", (int)(defaults.MaxBulkBodyBytes / MiB), 1, 16384) * MiB,
            Extraction = extraction with
            {
                MaxUnpackedBytes = a.GetInt("max-unpacked-mib", (int)(extraction.MaxUnpackedBytes / MiB), 1, 65536) * MiB,
                MaxNestingDepth = a.GetInt("max-nesting", extraction.MaxNestingDepth, 8, 100_000),
                MaxPdfPages = a.GetInt("max-pdf-pages", extraction.MaxPdfPages, 1, 1_000_000),
            },
        };
    }

    private static string? RankerPath(CliArguments a)
    {
        string? path = a.Get("ranker") is { Length: > 0 } r ? r : Environment.GetEnvironmentVariable("SEARCH_RANKER") is { Length: > 0 } e ? e : null;
        if (path is not null && path is not ("shipped" or "none") && !File.Exists(path)) throw new UsageException($"--ranker {path}: no such file");
        return path;
    }

    private static string? RankerModelPath(CliArguments a)
    {
        string? path = a.Get("ranker-model") is { Length: > 0 } r ? r : Environment.GetEnvironmentVariable("SEARCH_RANKER_MODEL") is { Length: > 0 } e ? e : null;
        if (path is not null && !File.Exists(Path.Combine(path, "config.json"))) throw new UsageException($"--ranker-model {path}: no config.json there (a Hugging Face model directory)");
        return path;
    }

    // --device: where the packaged encoders and the in-context ranker (attention and dense layers) run; CUDA asked for
    // and absent is an error (exit 2), auto (the default) takes a GPU when ILGPU finds one and falls back to the CPU.
    private static DeviceChoice Device(CliArguments a)
    {
        string device = a.Get("device") ?? Environment.GetEnvironmentVariable("SEARCH_DEVICE") ?? "auto";
        return IlgpuDevice.Parse(device) ?? throw new UsageException($"--device is auto, cpu or cuda, not '{device}'");
    }

    // One device for the process (the encoders and the ranker share its context and memory), proven at start: a GPU
    // whose driver cannot run the passes is refused for cuda and passed over for auto, not found mid-indexing.
    private static IlgpuDevice? OpenDevice(DeviceChoice choice)
    {
        var device = IlgpuDevice.Open(choice);
        if (device is null || DevicePassCheck.Run(device.Accelerator) is not { } failure) return device;
        string name = device.Accelerator.Name;
        device.Dispose();
        return choice == DeviceChoice.Cuda ? throw new DeviceUnavailableException($"the GPU {name} cannot run the device passes: {failure}") : null;
    }

    private static InContextRankerOptions InContextRanker(CliArguments a)
    {
        var options = InContextRankerFlags(a);
        if (options.Prompt == RankerPrompt.BlockRank && options.Positions != PassagePositions.Shared)
            throw new UsageException("--ranker-prompt blockrank puts every passage right after the instruction: it needs --ranker-positions shared");
        return options;
    }

    private static InContextRankerOptions InContextRankerFlags(CliArguments a) => new()
    {
        Layer = a.Get("ranker-layer") is null ? null : a.GetInt("ranker-layer", 0, 0, 1000),
        Depth = a.GetInt("ranker-depth", 30, 1, 1000),
        Calibrate = a.Flag("ranker-calibrate"),
        Prompt = a.GetChoice("ranker-prompt", ("reusable", RankerPrompt.Reusable), ("blockrank", RankerPrompt.BlockRank)),
        Positions = a.GetChoice("ranker-positions", ("shared", PassagePositions.Shared), ("assembled", PassagePositions.Assembled)),
        Readout = a.GetChoice("ranker-readout", ("blockrank", RankerReadout.BlockRank), ("mass", RankerReadout.Mass)),
        Precision = a.GetChoice("passage-kv-precision", ("fp16", KvPrecision.Float16), ("bf16", KvPrecision.BFloat16), ("fp32", KvPrecision.Float32), ("int8", KvPrecision.Int8)),
    };

    private static PassageKvStoreOptions PassageKv(CliArguments a) => new()
    {
        MemoryBytes = a.GetInt("passage-kv-mib", 512, 0, 1 << 20) * (1L << 20),
        DiskBytes = a.GetInt("passage-kv-disk-mib", 4096, 0, 1 << 24) * (1L << 20),
    };

    /// <summary>The search mode named by --mode (bm25 when absent).</summary>
    public static string Mode(CliArguments a)
    {
        string mode = a.Get("mode") ?? SearchModes.Bm25;
        if (!SearchModes.All.Contains(mode)) throw new UsageException($"unknown --mode '{mode}'; supported: {string.Join(", ", SearchModes.All)}");
        return mode;
    }

    /// <summary>--ranker-timeout in seconds; null when not given.</summary>
    public static TimeSpan? RankerTimeout(CliArguments a)
    {
        if (a.Get("ranker-timeout") is null) return null;
        double seconds = Double(a, "ranker-timeout", 0);
        return seconds is > 0 and <= 3600 ? TimeSpan.FromSeconds(seconds) : throw new UsageException("--ranker-timeout must be between 0 and 3600 seconds");
    }

    private static double Double(CliArguments a, string name, double fallback)
    {
        string? v = a.Get(name);
        if (v is null) return fallback;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            ? d : throw new UsageException($"--{name} must be a number");
    }
}
