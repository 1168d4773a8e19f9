using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Search.TestSupport;

namespace Search.EndToEnd.Tests;

/// <summary>kill -9 of the real service during ingestion: every acknowledged write survives, and the bulk task resumes without duplicates.</summary>
public class KillRecoveryTests
{
    [Fact]
    public async Task Acknowledged_documents_survive_a_kill_and_the_bulk_task_resumes()
    {
        using var dir = new TempDirectory();
        string data = dir.File("data");
        const int bulkCount = 6000;
        var (server, http) = await SearchProcess.ServeAsync(data);
        var acknowledged = new List<string>();
        string taskId;
        int doneAtKill;
        try
        {
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/collections", new { name = "k" })).StatusCode);
            var ndjson = new StringBuilder();
            for (int i = 0; i < bulkCount; i++) ndjson.Append($"{{\"id\": \"bulk-{i}\", \"title\": \"Bulk {i}\", \"text\": \"bulk body number b{i} with some words\"}}\n");
            var bulk = await http.PostAsync("/collections/k/bulk", new StringContent(ndjson.ToString(), Encoding.UTF8, "application/x-ndjson"));
            Assert.Equal(HttpStatusCode.Accepted, bulk.StatusCode);
            taskId = (await bulk.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

            // Single-document writes alongside the bulk task; the service dies while they are in flight.
            for (int i = 0; ; i++)
            {
                var task = await http.GetFromJsonAsync<JsonElement>($"/tasks/{taskId}");
                doneAtKill = task.GetProperty("task").GetProperty("done").GetInt32();
                if ((doneAtKill >= 50 && acknowledged.Count >= 3) || i > 5000) break;
                var r = await http.PostAsJsonAsync("/collections/k/documents", new { id = $"single-{i}", title = $"Single {i}", text = $"single body s{i}" });
                if (r.StatusCode == HttpStatusCode.Created) acknowledged.Add($"single-{i}");
            }
            Assert.True(acknowledged.Count > 0);
            Assert.True(doneAtKill < bulkCount, "the bulk task finished before the kill, so resumption was not exercised");
        }
        finally
        {
            server.Kill(entireProcessTree: true); // SIGKILL: no shutdown hooks run
            await server.WaitForExitAsync();
            http.Dispose();
        }

        var (restarted, client) = await SearchProcess.ServeAsync(data);
        try
        {
            JsonElement view = default;
            for (int i = 0; i < 1200; i++)
            {
                view = await client.GetFromJsonAsync<JsonElement>($"/tasks/{taskId}");
                if (view.GetProperty("task").GetProperty("state").GetString() == "succeeded") break;
                await Task.Delay(100);
            }
            Assert.Equal(("succeeded", bulkCount, 0), (view.GetProperty("task").GetProperty("state").GetString(),
                view.GetProperty("task").GetProperty("done").GetInt32(), view.GetProperty("task").GetProperty("failed").GetInt32()));
            var collection = await client.GetFromJsonAsync<JsonElement>("/collections/k");
            long count = collection.GetProperty("documents").GetInt64();
            Assert.InRange(count, bulkCount + acknowledged.Count, bulkCount + acknowledged.Count + 1); // at most the one write in flight at the kill
            foreach (var id in acknowledged)
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/collections/k/documents/{id}")).StatusCode);
            string last = acknowledged[^1];
            var hits = (await client.GetFromJsonAsync<JsonElement>($"/collections/k/search?q=s{last["single-".Length..]}")).GetProperty("hits");
            Assert.Equal(last, hits[0].GetProperty("documentId").GetString());
            var bulkHits = (await client.GetFromJsonAsync<JsonElement>($"/collections/k/search?q=b{bulkCount - 1}")).GetProperty("hits");
            Assert.Equal(1, bulkHits.GetArrayLength());
        }
        finally
        {
            restarted.Kill(entireProcessTree: true);
            await restarted.WaitForExitAsync();
            client.Dispose();
        }
    }
}
