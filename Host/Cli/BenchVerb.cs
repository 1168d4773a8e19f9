using Search.Benchmarks;
using Search.GpuAttention.Ilgpu;
using Search.Indexing.Embeddings;

namespace Search.Cli;

/// <summary><c>./search bench</c>: same-run comparisons from the benchmarks beside the product; the report goes to stderr, the JSON summary is the last line.</summary>
public static class BenchVerb
{
    /// <summary>Runs the named benchmark.</summary>
    public static async Task<int> RunAsync(CliArguments a, CancellationToken ct)
    {
        string what = a.Positional.Count > 0 ? a.Positional[0] : throw new UsageException("name a benchmark: lexical, attention, ranking, vectors, embeddings");
        string json;
        switch (what)
        {
            case "attention":
            {
                bool quick = a.Flag("quick");
                int documents = a.GetInt("docs", 100, 1, 2000);
                int layers = a.GetInt("prefill-layers", AttentionBenchmark.DefaultPrefillLayers, 1, 64);
                string device = a.Get("device") ?? "cpu";
                var choice = IlgpuDevice.Parse(device) ?? throw new UsageException($"--device is auto, cpu or cuda, not '{device}'");
                a.RejectUnknown();
                json = AttentionBenchmark.Run(choice, documents, layers, quick, Console.Error);
                break;
            }
            case "ranking":
            {
                bool quick = a.Flag("quick");
                string tokenizer = a.Get("tokenizer") ?? Path.Combine(RepositoryRoot(), "tests", "Models.Tests", "Fixtures", "tiny-llama");
                string device = a.Get("device") ?? "cpu";
                var choice = IlgpuDevice.Parse(device) ?? throw new UsageException($"--device is auto, cpu or cuda, not '{device}'");
                a.RejectUnknown();
                if (!File.Exists(Path.Combine(tokenizer, "tokenizer.json"))) throw new UsageException($"--tokenizer {tokenizer}: no tokenizer.json there");
                json = RankingBenchmark.Run(tokenizer, quick, AttentionDevices.Open(choice), Console.Error);
                break;
            }
            case "vectors":
            {
                bool quick = a.Flag("quick");
                int n = a.GetInt("n", quick ? 20_000 : 100_000, 1000, 50_000_000);
                int dim = a.GetInt("dim", 384, 8, 4096);
                int queries = a.GetInt("queries", quick ? 200 : 1000, 10, 1_000_000);
                int clusters = a.GetInt("clusters", 200, 1, 1_000_000);
                int seed = a.GetInt("seed", 42, int.MinValue, int.MaxValue);
                bool ivf = a.GetInt("ivf", 1, 0, 1) == 1;
                a.RejectUnknown();
                json = VectorBenchmark.Execute(n, dim, queries, clusters, seed, ivf, Console.Error);
                break;
            }
            case "embeddings" when a.Get("model") is { } model:
            {
                int passages = a.GetInt("passages", 256, 8, 100_000);
                int tokens = a.GetInt("tokens", 128, 8, 512);
                int seed = a.GetInt("seed", 42, int.MinValue, int.MaxValue);
                string device = a.Get("device") ?? "auto";
                var choice = IlgpuDevice.Parse(device) ?? throw new UsageException($"--device is auto, cpu or cuda, not '{device}'");
                a.RejectUnknown();
                using var gpu = IlgpuDevice.Open(choice);
                json = EncoderBenchmark.Run(model, passages, tokens, seed, gpu?.Accelerator, Console.Error);
                break;
            }
            case "embeddings":
            {
                int segments = a.GetInt("segments", 100_000, 100, 10_000_000);
                int dimension = a.GetInt("dim", new CorpusEmbedderOptions().Dimension, 2, 1024);
                int seed = a.GetInt("seed", 42, int.MinValue, int.MaxValue);
                a.RejectUnknown();
                json = EmbeddingBenchmark.Run(segments, dimension, seed, Console.Error);
                break;
            }
            case "lexical":
            {
                int docs = a.GetInt("docs", 1_000_000, 1, 100_000_000);
                int seed = a.GetInt("seed", 42, int.MinValue, int.MaxValue);
                int queries = a.GetInt("queries", 1000, 1, 1_000_000);
                bool lucene = !a.Flag("no-lucene");
                a.RejectUnknown();
                json = await LexicalBenchmark.RunAsync(docs, seed, queries, lucene ? Path.Combine(RepositoryRoot(), "benchmarks", "lucene", "run.sh") : null, Console.Error, ct);
                break;
            }
            default:
                throw new UsageException($"unknown benchmark '{what}'; available: lexical, attention, ranking, vectors, embeddings");
        }
        Console.WriteLine(json);
        return 0;
    }

    private static string RepositoryRoot()
    {
        if (Environment.GetEnvironmentVariable("SEARCH_REPO") is { Length: > 0 } repo) return repo;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Search.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository (set SEARCH_REPO)");
    }
}
