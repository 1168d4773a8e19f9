using System.Text.Json;
using Search.GpuAttention.Ilgpu;
using Search.TestSupport;

namespace Search.EndToEnd.Tests;

/// <summary>The ./search verbs as a user runs them: exit codes, messages, and the eval contract.</summary>
public class CliTests
{
    [Theory]
    [InlineData(new string[0], "usage")]
    [InlineData(new[] { "frobnicate" }, "unknown verb")]
    [InlineData(new[] { "eval", "--mode", "bm25" }, "--data is required")]
    [InlineData(new[] { "eval", "--data", "/nonexistent", "--run", "x.run" }, "no such folder")]
    [InlineData(new[] { "eval", "--data", ".", "--run", "x.run", "--mode", "telepathy" }, "unknown --mode")]
    [InlineData(new[] { "query", "text" }, "--collection is required")]
    [InlineData(new[] { "query", "text", "--collection", "nope" }, "does not exist")]
    [InlineData(new[] { "query", "text", "--collection", "c", "--k", "0" }, "--k must be")]
    [InlineData(new[] { "ingest", "--collection", "c" }, "name the files")]
    [InlineData(new[] { "ingest", "x", "--collection", "bad name" }, "collection name")]
    [InlineData(new[] { "collections", "--colection", "c" }, "unknown option --colection")]
    [InlineData(new[] { "serve", "--store", "oracle" }, "--store must be")]
    [InlineData(new[] { "serve", "--max-nesting", "0" }, "--max-nesting must be a whole number from 8")]
    [InlineData(new[] { "serve", "--device", "tpu" }, "--device is auto, cpu or cuda, not 'tpu'")]
    [InlineData(new[] { "bench", "embeddings", "--model", "all-minilm-l6-v2", "--device", "gpu" }, "--device is auto, cpu or cuda")]
    [InlineData(new[] { "segment-eval", "--out", "p.jsonl" }, "--data is required")]
    [InlineData(new[] { "segment-eval", "--data", "/nonexistent.jsonl", "--out", "p.jsonl" }, "no such file")]
    [InlineData(new[] { "segment-eval", "--data", "/etc/passwd", "--out", "p.jsonl", "--kind", "poetry" }, "unknown --kind")]
    [InlineData(new[] { "eval-spans", "--data", "/tmp", "--run", "r.jsonl" }, "documents.jsonl is missing")]
    [InlineData(new[] { "eval-spans", "--data", "/nonexistent", "--run", "r.jsonl" }, "no such folder")]
    [InlineData(new[] { "eval", "--data", "/tmp", "--mode", "sparse", "--run", "r.run" }, "unknown --mode")]
    [InlineData(new[] { "ranker", "train", "--from", "/nonexistent.jsonl", "--out", "m.json" }, "--from /nonexistent.jsonl: no such file")]
    [InlineData(new[] { "ranker", "train", "--from", "/etc/passwd", "--out", "m.json" }, "/etc/passwd:1: not a gathered query")]
    [InlineData(new[] { "ranker", "train", "--from", "/etc/passwd", "--data", "/tmp", "--out", "m.json" }, "without --data")]
    [InlineData(new[] { "ranker", "train", "--data", "/tmp", "--collection", "cisi", "--out", "m.json" }, "--collection picks gathered collections of --from")]
    [InlineData(new[] { "query", "x", "--collection", "c", "--ranker", "/nonexistent.json" }, "--ranker /nonexistent.json: no such file")]
    [InlineData(new[] { "query", "x", "--collection", "c", "--ranker-timeout", "0" }, "--ranker-timeout must be between 0 and 3600")]
    public async Task Bad_arguments_exit_2_with_a_message(string[] args, string message)
    {
        using var dir = new TempDirectory();
        var r = await SearchProcess.RunAsync(dir.Path, args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr + r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cuda_asked_for_where_ilgpu_finds_no_gpu_exits_2_when_the_engine_starts()
    {
        using var gpu = IlgpuDevice.Open(DeviceChoice.Auto);
        using var dir = new TempDirectory();
        var r = await SearchProcess.RunAsync(dir.Path, ["query", "x", "--collection", "c", "--device", "cuda"]);
        Assert.Equal(2, r.ExitCode);
        if (gpu is null) Assert.Contains("no CUDA device", r.Stderr, StringComparison.Ordinal);
        else Assert.Contains("does not exist", r.Stderr + r.Stdout, StringComparison.Ordinal); // with a GPU the engine starts and finds no collection
    }

    [Theory]
    [InlineData("nope", "shared", "--ranker-prompt must be reusable or blockrank")]
    [InlineData("blockrank", "assembled", "needs --ranker-positions shared")]
    public async Task Bad_in_context_ranker_prompts_exit_2_with_a_message(string prompt, string positions, string message)
    {
        using var dir = new TempDirectory();
        string model = Path.Combine(RepoPaths.Root, "tests", "Models.Tests", "Fixtures", "tiny-mistral");
        var r = await SearchProcess.RunAsync(dir.Path, ["query", "x", "--collection", "c", "--ranker-model", model, "--ranker-prompt", prompt, "--ranker-positions", positions]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr + r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_prints_metrics_json_as_its_last_line_and_writes_a_trec_run()
    {
        using var dir = new TempDirectory();
        string run = dir.File("med.run");
        var r = await SearchProcess.RunAsync(dir.Path, "eval", "--data", Path.Combine(RepoPaths.Shared, "data", "med"), "--mode", "bm25", "--run", run, "--embedder", "corpus");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.LastLine);
        foreach (var key in new[] { "ndcg@10", "map", "recall@100", "queries", "index_seconds", "query_ms_p50", "query_ms_p99", "query_ms_max", "query_ms_first", "query_ms_first_repeated", "ranker_fallbacks" })
            Assert.True(json.RootElement.TryGetProperty(key, out _), $"missing {key}");
        Assert.Equal(30, json.RootElement.GetProperty("queries").GetInt32());
        var lines = File.ReadAllLines(run);
        var first = lines[0].Split(' ');
        Assert.Equal(6, first.Length);
        Assert.Equal(("Q0", "1", "search-bm25"), (first[1], first[3], first[5]));
        Assert.True(lines.GroupBy(l => l.Split(' ')[0]).All(g => g.Count() <= 1000));
        Assert.False(File.Exists(Path.Combine(dir.Path, "search.db")), "eval must not write into the user's store");
    }

    [Theory]
    [InlineData("bm25")]
    [InlineData("hybrid")]
    public async Task Eval_spans_maps_segments_to_turns_and_agrees_with_the_shared_scorer(string mode)
    {
        // Six meetings of qmsum_retrieval with their queries: enough for every metric to be non-trivial.
        using var dir = new TempDirectory();
        string source = Path.Combine(RepoPaths.Shared, "data", "qmsum_retrieval");
        var meetings = File.ReadLines(Path.Combine(source, "documents.jsonl")).Take(6).ToList();
        var ids = meetings.Select(m => JsonDocument.Parse(m).RootElement.GetProperty("_id").GetString()).ToHashSet();
        string data = Path.Combine(dir.Path, "spans");
        Directory.CreateDirectory(data);
        File.WriteAllLines(Path.Combine(data, "documents.jsonl"), meetings);
        foreach (var (file, key) in new[] { ("queries.jsonl", "doc"), ("qrels.jsonl", "doc") })
            File.WriteAllLines(Path.Combine(data, file), File.ReadLines(Path.Combine(source, file)).Where(l => ids.Contains(JsonDocument.Parse(l).RootElement.GetProperty(key).GetString())));
        string run = dir.File("run.jsonl");
        var r = await SearchProcess.RunAsync(dir.Path, "eval-spans", "--data", data, "--mode", mode, "--run", run, "--embedder", "corpus");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var ours = JsonDocument.Parse(r.LastLine);
        var psi = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(RepoPaths.Shared, "scorers", "span_metrics.py"), data, run, "--json" }) psi.ArgumentList.Add(arg);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string scorer = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        using var theirs = JsonDocument.Parse(scorer);
        foreach (var key in new[] { "ndcg@10", "ndcg@10_once", "hit@10", "recall@10", "dochit@1", "turns_per_hit", "n_ndcg_gt1", "queries" })
            Assert.Equal(theirs.RootElement.GetProperty(key).GetDouble(), ours.RootElement.GetProperty(key).GetDouble());
        Assert.True(ours.RootElement.GetProperty("hit@10").GetDouble() > 0.2, "retrieval finds gold turns");
        // Every hit names turns inside its meeting, first ≤ last.
        foreach (var line in File.ReadLines(run))
            foreach (var hit in JsonDocument.Parse(line).RootElement.GetProperty("hits").EnumerateArray())
            {
                Assert.Contains(hit.GetProperty("doc").GetString(), ids);
                Assert.InRange(hit.GetProperty("first_turn").GetInt32(), 0, hit.GetProperty("last_turn").GetInt32());
            }
    }

    [Fact]
    public async Task Bench_embeddings_reports_training_embedding_and_word_classes_as_json()
    {
        using var dir = new TempDirectory();
        var r = await SearchProcess.RunAsync(dir.Path, "bench", "embeddings", "--segments", "3000");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.LastLine);
        Assert.Equal(3000, json.RootElement.GetProperty("segments").GetInt32());
        // Times and rates are reported, not judged: a test does not depend on how fast the machine is.
        foreach (var key in new[] { "train_seconds", "embed_segments_per_s", "embed_segments_per_s_one_core", "word_class_seconds" })
            Assert.True(json.RootElement.GetProperty(key).GetDouble() is >= 0 and < double.PositiveInfinity, key);
        // 16 words a class over the corpus's words seen in 3 segments or more.
        int classes = json.RootElement.GetProperty("word_classes").GetInt32();
        Assert.InRange(classes, 2, 1024);
    }

    [Fact]
    public async Task Segment_eval_writes_predictions_and_prints_pk_and_windowdiff_last()
    {
        using var dir = new TempDirectory();
        string[] a = ["The turbine gearbox failed.", "Engineers replaced the gearbox bearing.", "The turbine restarted after the gearbox repair."];
        string[] b = ["Plovers feed on the beach.", "The ringed plover nests on shingle.", "Beach plovers need quiet shingle."];
        string data = dir.Write("gold.jsonl", JsonSerializer.Serialize(new { id = "doc", sentences = a.Concat(b).Concat(a).ToArray(), boundaries = new[] { 3, 6 } }) + "\n");
        var r = await SearchProcess.RunAsync(dir.Path, "segment-eval", "--data", data, "--out", dir.File("pred.jsonl"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.LastLine);
        Assert.Equal(1, json.RootElement.GetProperty("docs").GetInt32());
        Assert.InRange(json.RootElement.GetProperty("pk").GetDouble(), 0, 1);
        Assert.True(json.RootElement.TryGetProperty("windowdiff", out _));
        using var prediction = JsonDocument.Parse(File.ReadAllLines(dir.File("pred.jsonl")).Single());
        Assert.Equal("doc", prediction.RootElement.GetProperty("id").GetString());
        Assert.Equal([3, 6], prediction.RootElement.GetProperty("boundaries").EnumerateArray().Select(e => e.GetInt32()));
        // Nine units are too few words to class: the file's word classes are reported, and none were learned.
        Assert.Equal(0, json.RootElement.GetProperty("word_classes").GetInt32());
    }

    [Fact]
    public async Task Ingest_reports_bad_files_and_exits_2_but_keeps_the_good_ones()
    {
        using var dir = new TempDirectory();
        dir.Write("in/good.md", "# Good\n\nA perfectly fine document about lighthouses.");
        dir.Write("in/bad.txt", [0, 0, 0, 1]);
        var r = await SearchProcess.RunAsync(dir.File("data"), "ingest", dir.File("in"), "--collection", "c");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("bad.txt: binary content", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 ingested, 1 failed", r.Stdout, StringComparison.Ordinal);
        var q = await SearchProcess.RunAsync(dir.File("data"), "query", "lighthouses", "--collection", "c", "--json");
        Assert.Equal(0, q.ExitCode);
        Assert.Contains("good.md", q.Stdout, StringComparison.Ordinal);
        // Ranked queries go through the shipped ranker unless told otherwise (a time limit no machine's speed decides).
        var ranked = await SearchProcess.RunAsync(dir.File("data"), "query", "lighthouses", "--collection", "c", "--mode", "ranked", "--json", "--ranker-timeout", "600");
        Assert.True(ranked.ExitCode == 0, ranked.Stderr);
        Assert.Contains("\"ranker_rank\"", ranked.Stdout, StringComparison.Ordinal);
        var none = await SearchProcess.RunAsync(dir.File("data"), "query", "lighthouses", "--collection", "c", "--mode", "ranked", "--ranker", "none");
        Assert.Contains("no ranker is configured", none.Stderr, StringComparison.Ordinal);
        Assert.Contains("good.md", none.Stdout, StringComparison.Ordinal);
        var tasks = await SearchProcess.RunAsync(dir.File("data"), "tasks");
        Assert.Contains("succeeded", tasks.Stdout, StringComparison.Ordinal);
        var reindex = await SearchProcess.RunAsync(dir.File("data"), "reindex", "--collection", "c");
        Assert.True(reindex.ExitCode == 0, reindex.Stderr);
        Assert.Contains("generation 2 serves 'c'", reindex.Stdout, StringComparison.Ordinal);
        Assert.Contains("good.md", (await SearchProcess.RunAsync(dir.File("data"), "query", "lighthouses", "--collection", "c")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_limits_are_set_from_the_command_line()
    {
        using var dir = new TempDirectory();
        string big = dir.Write("big.txt", string.Join("\n\n", Enumerable.Repeat("A paragraph of words about rivers and floods.", 25_000)));
        var refused = await SearchProcess.RunAsync(dir.File("data"), "ingest", big, "--collection", "c", "--max-document-mib", "1");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("1 MiB limit", refused.Stderr);
        var accepted = await SearchProcess.RunAsync(dir.File("data"), "ingest", big, "--collection", "c", "--max-document-mib", "4", "--embedder", "corpus");
        Assert.True(accepted.ExitCode == 0, accepted.Stderr);
    }
}
