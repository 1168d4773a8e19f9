using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Search.TestSupport;

namespace Search.EndToEnd.Tests;

/// <summary>
/// kill -9 of the real service while a bulk task is held at a known item (a named pipe, whose reader blocks until
/// the test writes to it): the persisted task says it was running and how far it got, and after a restart and the
/// release every acknowledged single write and every bulk item is searchable exactly once.
/// </summary>
public class KillRecoveryTests
{
    private const int BulkFiles = 40, HeldAt = 20, Singles = 10;

    [Fact]
    public async Task Acknowledged_writes_survive_a_kill_and_the_held_bulk_task_resumes_where_it_stopped()
    {
        using var dir = new TempDirectory();
        string data = dir.File("data");
        var paths = new List<string>();
        for (int i = 0; i < BulkFiles; i++)
        {
            if (i == HeldAt) paths.Add(MakeFifo(dir.File("held.md")));
            paths.Add(dir.Write($"bulk/{i:00}.md", $"# Bulk {i}\n\nBulk note with its own marker bx{i}."));
        }
        var acknowledged = new List<string>();
        string taskId;
        var (server, http) = await SearchProcess.ServeAsync(data, dir.Path);
        try
        {
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/collections", new { name = "k" })).StatusCode);
            var bulk = await http.PostAsJsonAsync("/collections/k/bulk", new { paths });
            Assert.Equal(HttpStatusCode.Accepted, bulk.StatusCode);
            taskId = (await bulk.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            // The runner stops at the named pipe: everything before it is done, and nothing after it can be.
            while ((await http.GetFromJsonAsync<JsonElement>($"/tasks/{taskId}")).GetProperty("task").GetProperty("done").GetInt32() < HeldAt)
                await Task.Delay(20);
            for (int i = 0; i < Singles; i++)
            {
                // Half wait until searchable, half are only stored when acknowledged: both must survive.
                string wait = i % 2 == 0 ? "?wait=indexed" : "";
                var r = await http.PostAsJsonAsync($"/collections/k/documents{wait}", new { id = $"single-{i}", title = $"Single {i}", text = $"single body with marker sx{i}" });
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);
                acknowledged.Add($"single-{i}");
            }
            Assert.Equal(HeldAt, (await http.GetFromJsonAsync<JsonElement>($"/tasks/{taskId}")).GetProperty("task").GetProperty("done").GetInt32());
        }
        finally
        {
            server.Kill(entireProcessTree: true); // SIGKILL: no shutdown hooks run
            await server.WaitForExitAsync();
            http.Dispose();
        }

        // What the killed service left in the store: the task was running and stopped at the held item.
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(data, "search.db")};Pooling=false"))
        {
            await db.OpenAsync();
            await using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT state, done, failed, total FROM tasks WHERE id = $id";
            cmd.Parameters.AddWithValue("$id", taskId);
            await using var row = await cmd.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync());
            Assert.Equal(("running", HeldAt, 0, BulkFiles + 1), (row.GetString(0), row.GetInt32(1), row.GetInt32(2), row.GetInt32(3)));
        }

        var (restarted, client) = await SearchProcess.ServeAsync(data, dir.Path);
        try
        {
            // The restarted runner resumes at the held item and waits on the pipe again; the test now releases it.
            await File.WriteAllTextAsync(dir.File("held.md"), "# Held\n\nThe held note with marker hx.");
            var view = await client.GetFromJsonAsync<JsonElement>($"/tasks/{taskId}?wait=indexed");
            var task = view.GetProperty("task");
            Assert.Equal(("succeeded", BulkFiles + 1, 0), (task.GetProperty("state").GetString(), task.GetProperty("done").GetInt32(), task.GetProperty("failed").GetInt32()));
            Assert.Equal(BulkFiles + 1, view.GetProperty("searchable").GetProperty("lexical").GetInt32());
            var collection = await client.GetFromJsonAsync<JsonElement>("/collections/k");
            Assert.Equal(BulkFiles + 1 + Singles, collection.GetProperty("documents").GetInt64());
            // Every document is found exactly once by its own marker.
            async Task AssertOnce(string marker, Func<string, bool> isExpected)
            {
                var hits = (await client.GetFromJsonAsync<JsonElement>($"/collections/k/search?q={marker}&k=10")).GetProperty("hits");
                Assert.Equal(1, hits.GetArrayLength());
                Assert.True(isExpected(hits[0].GetProperty("documentId").GetString()!), $"{marker} found in {hits[0].GetProperty("documentId").GetString()}");
            }
            for (int i = 0; i < Singles; i++) await AssertOnce("sx" + i, id => id == acknowledged[i]);
            for (int i = 0; i < BulkFiles; i++) await AssertOnce("bx" + i, id => id.EndsWith($"{i:00}.md", StringComparison.Ordinal));
            await AssertOnce("hx", id => id.EndsWith("held.md", StringComparison.Ordinal));
        }
        finally
        {
            restarted.Kill(entireProcessTree: true);
            await restarted.WaitForExitAsync();
            client.Dispose();
        }
    }

    private static string MakeFifo(string path)
    {
        using var p = System.Diagnostics.Process.Start("mkfifo", [path])!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return path;
    }
}
