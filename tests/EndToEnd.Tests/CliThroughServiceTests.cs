using System.Text.Json;
using Search.TestSupport;

namespace Search.EndToEnd.Tests;

/// <summary>
/// The command line talking to a running service with <c>--service</c> (through Search.Client): it never opens a store
/// of its own, and it answers as it does over the store.
/// </summary>
public class CliThroughServiceTests
{
    [Fact]
    public async Task Ingest_query_collections_tasks_and_reindex_go_through_the_service()
    {
        using var dir = new TempDirectory();
        string served = dir.File("served"), elsewhere = dir.File("elsewhere");
        string corpus = Path.Combine(RepoPaths.Root, "samples", "corpus");
        string lines = dir.Write("notes.jsonl", """
            {"id": "n1", "title": "Lighthouse", "text": "The lighthouse keeper trimmed the lamp at dusk."}
            {"id": "n2", "title": "Fog", "text": "The fog bell rang through the night."}
            """);
        var (server, http) = await SearchProcess.ServeAsync(served);
        try
        {
            string url = http.BaseAddress!.AbsoluteUri;
            var ingest = await SearchProcess.RunAsync(elsewhere, "ingest", Path.Combine(corpus, "terms-of-service.txt"), Path.Combine(corpus, "meeting-ES2010c.vtt"), lines,
                "--collection", "remote", "--wait", "--service", url);
            Assert.True(ingest.ExitCode == 0, ingest.Stderr);
            Assert.Contains("sent 3 of 3 files to the service (1 as bulk tasks), 0 failed", ingest.Stdout, StringComparison.Ordinal);
            Assert.Contains("searchable: everything sent to 'remote'", ingest.Stdout, StringComparison.Ordinal);

            // The same query through the service and over the service's store (read-only) gives the same hits.
            string[] query = ["query", "refund after termination for breach", "--collection", "remote", "--mode", "hybrid", "--json"];
            var remote = await SearchProcess.RunAsync(elsewhere, [.. query, "--service", url]);
            var local = await SearchProcess.RunAsync(served, query);
            Assert.True(remote.ExitCode == 0, remote.Stderr);
            Assert.True(local.ExitCode == 0, local.Stderr);
            Assert.Equal(Hits(local.Stdout), Hits(remote.Stdout));
            Assert.Equal("ARTICLE V – REFUNDS > Section 5.4 Refunds After Termination for Breach",
                JsonDocument.Parse(remote.Stdout).RootElement.GetProperty("hits")[0].GetProperty("sectionPath").GetString());
            var bm25 = await SearchProcess.RunAsync(elsewhere, "query", "fog bell", "--collection", "remote", "--service", url);
            Assert.Contains("Fog", bm25.Stdout, StringComparison.Ordinal);

            var collection = await SearchProcess.RunAsync(elsewhere, "collections", "remote", "--service", url);
            Assert.True(collection.ExitCode == 0, collection.Stderr);
            Assert.Contains("remote: 4 documents", collection.Stdout, StringComparison.Ordinal);
            Assert.Contains("lexical  4 documents searchable", collection.Stdout, StringComparison.Ordinal);
            var tasks = await SearchProcess.RunAsync(elsewhere, "tasks", "--service", url);
            string taskId = tasks.Stdout.Split(' ')[0];
            Assert.Contains("remote  succeeded  2/2 (0 failed)", tasks.Stdout, StringComparison.Ordinal);
            Assert.Contains("2 done, 0 failed of 2", (await SearchProcess.RunAsync(elsewhere, "tasks", taskId, "--service", url)).Stdout, StringComparison.Ordinal);

            var reindex = await SearchProcess.RunAsync(elsewhere, "reindex", "--collection", "remote", "--service", url);
            Assert.True(reindex.ExitCode == 0, reindex.Stderr);
            Assert.Contains("generation 2 serves 'remote'", reindex.Stdout, StringComparison.Ordinal);

            // Refusals are the service's, with exit code 2; a bad address is a usage error.
            var missing = await SearchProcess.RunAsync(elsewhere, "query", "x", "--collection", "nope", "--service", url);
            Assert.Equal(2, missing.ExitCode);
            Assert.Contains("404", missing.Stderr, StringComparison.Ordinal);
            Assert.Equal(2, (await SearchProcess.RunAsync(elsewhere, "collections", "--service", "ftp://x")).ExitCode);
            Assert.Equal(2, (await SearchProcess.RunAsync(elsewhere, "collections", "--api-key-file", lines)).ExitCode);
            // Nothing above opened a store of the command line's own.
            Assert.False(Directory.Exists(elsewhere), "the command line created a store although it talked to a service");
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            http.Dispose();
        }
    }

    private static List<(string, int)> Hits(string json)
    {
        var hits = new List<(string, int)>();
        foreach (var h in JsonDocument.Parse(json).RootElement.GetProperty("hits").EnumerateArray())
            hits.Add((h.GetProperty("documentId").GetString()!, h.GetProperty("segment").GetInt32()));
        return hits;
    }
}
