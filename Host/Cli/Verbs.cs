using System.Text.Json;
using Search.GpuAttention.Ilgpu;
using Search.Indexing.Pipeline;
using Search.Indexing.Storage;

namespace Search.Cli;

/// <summary>The verbs of <c>./search</c>: parses the verb, runs it, and turns failures into messages and exit codes.</summary>
public static class Verbs
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: ./search <verb> [options]

        verbs:
          serve      [--urls http://127.0.0.1:8080]             run the REST service (OpenAPI at /openapi/v1.json); without a
                     [--master-key-file FILE]                  master key (SEARCH_MASTER_KEY or the file) it answers on loopback
                     [--allowed-hosts a,b] [--cors-origin URL]  only, unauthenticated; with one every call needs an API key
                     [--rate-limit 200]                        (POST /keys); requests per second per key;
                     [--ingest-root DIR ...]                   bulk "paths" only below these (none: no server paths)
          ingest     <files|dirs|globs>... --collection C [--wait]
                                                                 ingest documents (the collection is created if needed) and index
                                                                 them; when a running service maintains the collection's indexes,
                                                                 it indexes them and --wait waits until they are searchable
          query      "text" --collection C [--k 10] [--mode bm25|dense|situated|hybrid|ranked] [--documents] [--filter key:value]... [--json]
          collections [C]                                        list collections, or show one with what each indexing stage has made searchable
          reindex    --collection C                              rebuild a collection's indexes as a new generation (no downtime)
          tasks      [TASK_ID]                                   list bulk tasks, or show one with its errors
          eval       --data DIR --mode bm25|dense|situated|hybrid|ranked --run OUT.run [--dump DIR]
                                                                 evaluate on a BEIR folder; last line is JSON metrics; --dump also
                                                                 writes vectors and BM25 candidates for tools/fusion_tune.py
          eval-spans --data DIR --mode M --run OUT.jsonl [--dump DIR]
                                                                 span retrieval over transcripts (documents/queries/qrels.jsonl); last line is JSON metrics
          ranker train --data DIR [--data DIR ...] --out FILE [--depth 30] [--features FILE.jsonl]
          ranker train --from FILE.jsonl [--collection NAME ...] --out FILE
                                                                 learn a ranker for --mode ranked from judged BEIR or span folders
          segment-eval --data FILE.jsonl --out PRED.jsonl [--kind auto|legal|transcript|prose] [--no-word-classes]
                                                                 topical segmentation against gold boundaries; last line is JSON Pk/WindowDiff
          bench lexical [--docs 1000000] [--seed 42] [--queries 1000] [--no-lucene]
                                                                 our BM25 engine against Lucene 8.8 on one synthetic corpus
          bench attention [--quick] [--docs 100] [--prefill-layers 2] [--device cpu|cuda|auto]
                                                                 dense vs block-sparse vs cached-query attention kernels, then
                                                                 one-pass vs cached-document prefill of a random-weight decoder;
                                                                 --device cuda: the kernels on the GPU, TFLOP/s and share of peak
          bench ranking [--quick] [--device cpu|cuda|auto]     the in-context ranker at 10, 30, 100 passages on a random-weight
                                                                 Qwen2.5-0.5B-shaped decoder: full vs block-sparse prefill vs the
                                                                 passage-KV store warm; store hit rates under a Zipfian stream
          bench vectors [--n 100000] [--dim 384] [--queries 1000] [--quick] [--ivf 0|1]
                                                                 exact vs FAISS Flat/HNSW/IVF: build, p50/p99, recall@10
          bench embeddings [--segments 100000] [--dim 100] [--seed 42]
                                                                 corpus embedder training, embedding throughput, word classes
          bench embeddings --model arctic-embed-xs|all-minilm-l6-v2 [--passages 256] [--tokens 128] [--device auto|cpu|cuda]
                                                                 one packaged encoder on every runtime and precision, same run,
                                                                 and on the GPU (project's pass, fp32) when there is one

        store options (every verb):
          --data-dir DIR       embedded store folder (env SEARCH_DATA_DIR; default ./.data)
          --store sqlite|postgres   (env SEARCH_STORE; default sqlite)
          --postgres CONN      Npgsql connection string (env SEARCH_POSTGRES)
          --embedding-model PATH  a BERT-family model directory, or an .onnx file with vocab.txt beside it, served at
                               /v1/embeddings and made the default embedder (env SEARCH_EMBEDDING_MODEL)
          --embedder NAME      the embedder of collections that name none: all-minilm-l6-v2 (default), arctic-embed-xs,
                               the configured model, or corpus (learned from each collection) (env SEARCH_EMBEDDER)
          --runtime onnx-int8|onnx-fp32|models-fp32   what runs the packaged encoders on the CPU (env SEARCH_ENCODER_RUNTIME; default onnx-int8)
          --device auto|cpu|cuda  where the packaged encoders and the in-context ranker's attention run (env SEARCH_DEVICE;
                               default auto: CUDA through ILGPU when it finds a GPU, else the CPU; cuda without one
                               exits 2; shown in GET /admin/collections/NAME/dense and GET /admin/ranker)
          --embedding-cache DIR  keep every vector a model makes in DIR, to reuse when the same text is embedded again
          --max-document-mib 32  --max-bulk-mib 64  --max-unpacked-mib 256  --max-nesting 200  --max-pdf-pages 2000
                               input limits: one document, one bulk request body, what a .docx may unpack to,
                               HTML/Markdown nesting, PDF pages read
                               (repeated evaluations) (env SEARCH_EMBEDDING_CACHE)
        service options (ingest, query, collections, tasks, reindex): talk to a running service instead of the store
          --service URL        the service (env SEARCH_SERVICE), e.g. http://127.0.0.1:8080
          --api-key-file FILE  the API key it wants, if any (env SEARCH_API_KEY)
        ranking options (serve, query, eval, eval-spans): --k1 0.9 --b 0.4
          --ranker FILE|shipped|none  the ranker of --mode ranked: a model written by 'ranker train', the shipped learned
                               one (the default), or none (ranked searches answer in hybrid order and say so) (env SEARCH_RANKER)
          --ranker-timeout 5   seconds a ranker may take for one query before the hybrid order is returned (eval: 60)
          --ranker-model DIR   or in-context ranking with a decoder (Llama, Mistral, Qwen2/3 directory; env SEARCH_RANKER_MODEL):
                               --ranker-layer N (attention read; default two thirds up) --ranker-depth 30
                               --ranker-calibrate (ICR: subtract a content-free query's masses; for plain instruct models)
                               --ranker-prompt reusable|blockrank (passages worded once for every query, or BlockRank's
                               own prompt in the model's chat template, for a BlockRank-trained model; then passage K/V
                               are the query's own and --ranker-positions must be shared)
                               --ranker-readout blockrank|mass (BlockRank's answer-position readout, or all rows' mass)
                               --ranker-positions shared|assembled (every passage right after the instruction and the
                               query at 16,384, as BlockRank; or end to end, re-encoded by RoPE, as Block-Attention)
                               --passage-kv-mib 512 --passage-kv-disk-mib 4096 --passage-kv-precision fp16|bf16|fp32|int8
                               (the passage-KV store in the data directory's passage-kv/)

        exit codes: 0 success, 2 bad arguments or input, 1 other failure
        """;

    /// <summary>Options that take no value.</summary>
    public static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "documents", "json", "help", "no-lucene", "no-word-classes", "quick", "wait", "ranker-calibrate" };

    /// <summary>JSON as the REST service writes it.</summary>
    public static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    /// <summary>Runs one command line and returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            var a = CliArguments.Parse(args[1..], Flags);
            return args[0] switch
            {
                "serve" => await ServeVerb.RunAsync(a),
                "ingest" => await IngestVerb.RunAsync(a, cts.Token),
                "query" => await QueryVerb.RunAsync(a, cts.Token),
                "collections" => await ListingVerbs.CollectionsAsync(a, cts.Token),
                "tasks" => await ListingVerbs.TasksAsync(a, cts.Token),
                "eval" => await EvaluationVerbs.EvalAsync(a, cts.Token),
                "eval-spans" => await EvaluationVerbs.EvalSpansAsync(a, cts.Token),
                "segment-eval" => EvaluationVerbs.SegmentEval(a),
                "bench" => await BenchVerb.RunAsync(a, cts.Token),
                "reindex" => await ReindexVerb.RunAsync(a, cts.Token),
                "ranker" => await RankerVerb.RunAsync(a, cts.Token),
                _ => throw new UsageException($"unknown verb '{args[0]}'"),
            };
        }
        catch (DeviceUnavailableException e)
        {
            await Console.Error.WriteLineAsync($"search: {e.Message}");
            return 2;
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"search: {e.Message}\nrun './search help' for usage");
            return 2;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException
            or NotFoundException or ConflictException or Indexing.Extraction.ExtractionException or Indexing.Extraction.InvalidDocumentException or JsonException)
        {
            await Console.Error.WriteLineAsync($"search: {e.Message}");
            return 2;
        }
        catch (Client.SearchApiException e)
        {
            await Console.Error.WriteLineAsync($"search: the service answered {(int)e.Status} {e.Title}: {e.Detail}");
            return e is Client.SearchRequestException or Client.SearchNotFoundException or Client.SearchAccessException ? 2 : 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"search: the service did not answer: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IndexingFailedException or IndexUnavailableException)
        {
            await Console.Error.WriteLineAsync($"search: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("search: interrupted");
            return 1;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"search: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
