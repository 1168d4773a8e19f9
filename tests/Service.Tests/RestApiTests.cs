using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Search.TestSupport;

namespace Search.Service.Tests;

public sealed class RestApiTests : ApiTestBase
{
    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    private static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await Json(response);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailContains, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        return problem;
    }

    private async Task CreateCollection(string name)
    {
        var r = await Http.PostAsJsonAsync("/collections", new { name });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    [Fact]
    public async Task Health_and_the_openapi_document_are_served()
    {
        var health = await Json(await Http.GetAsync("/health"));
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("sqlite", health.GetProperty("store").GetString());
        var openapi = await Json(await Http.GetAsync("/openapi/v1.json"));
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/collections/{name}/search", out _));
    }

    [Fact]
    public async Task Collections_lifecycle_and_its_errors()
    {
        await CreateCollection("legal");
        await AssertProblem(await Http.PostAsJsonAsync("/collections", new { name = "legal" }), HttpStatusCode.Conflict, "exists");
        await AssertProblem(await Http.PostAsJsonAsync("/collections", new { name = "bad name!" }), HttpStatusCode.BadRequest, "collection name");
        await AssertProblem(await Http.PostAsync("/collections", new StringContent("{\"name\": ", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "");
        var list = await Json(await Http.GetAsync("/collections"));
        Assert.Equal("legal", list[0].GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync("/collections/legal")).StatusCode);
        await AssertProblem(await Http.DeleteAsync("/collections/legal"), HttpStatusCode.NotFound, "does not exist");
        await AssertProblem(await Http.GetAsync("/collections/legal/search?q=x"), HttpStatusCode.NotFound, "does not exist");
        var unknown = await Http.GetAsync("/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Json_documents_are_created_deduplicated_fetched_searched_and_deleted()
    {
        await CreateCollection("c");
        var doc = new { id = "tos/6.2", title = "Data retention", text = "Deleted files stay in the trash for thirty days.\n\nBackups are kept for 35 days.", metadata = new { lang = "en", year = 2024 } };
        var created = await Http.PostAsJsonAsync("/collections/c/documents?wait=indexed", doc);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True((await Json(created)).GetProperty("sequence").GetInt64() > 0);
        Assert.EndsWith("/collections/c/documents/tos%2F6.2", created.Headers.Location!.ToString(), StringComparison.Ordinal);
        var again = await Http.PostAsJsonAsync("/collections/c/documents", doc);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("unchanged", (await Json(again)).GetProperty("outcome").GetString());

        var fetched = await Json(await Http.GetAsync("/collections/c/documents/tos/6.2"));
        Assert.Equal("Data retention", fetched.GetProperty("document").GetProperty("title").GetString());
        Assert.Equal(2024, fetched.GetProperty("document").GetProperty("metadata").GetProperty("year").GetInt32());
        Assert.Contains("thirty days", fetched.GetProperty("segments")[0].GetProperty("text").GetString(), StringComparison.Ordinal);

        var search = await Json(await Http.GetAsync("/collections/c/search?q=how+long+are+backups+kept&k=5&filter=lang:en"));
        var hit = search.GetProperty("hits")[0];
        Assert.Equal("tos/6.2", hit.GetProperty("documentId").GetString());
        Assert.True(hit.GetProperty("components").GetProperty("bm25_body").GetDouble() > 0);
        Assert.Empty((await Json(await Http.GetAsync("/collections/c/search?q=backups&filter=lang:fr"))).GetProperty("hits").EnumerateArray());
        var posted = await Json(await Http.PostAsJsonAsync("/collections/c/search", new { q = "trash", k = 3, group = "document", filters = new Dictionary<string, string> { ["year"] = "2024" } }));
        Assert.Single(posted.GetProperty("hits").EnumerateArray());

        Assert.Single((await Json(await Http.GetAsync("/collections/c/documents?limit=10"))).EnumerateArray());
        await AssertProblem(await Http.PostAsJsonAsync("/collections/c/documents?wait=soon", doc), HttpStatusCode.BadRequest, "wait must be 'indexed'");
        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync("/collections/c/documents/tos%2F6.2?wait=indexed")).StatusCode);
        await AssertProblem(await Http.GetAsync("/collections/c/documents/tos/6.2"), HttpStatusCode.NotFound, "not in collection");
        Assert.Empty((await Json(await Http.GetAsync("/collections/c/search?q=backups"))).GetProperty("hits").EnumerateArray());
    }

    [Fact]
    public async Task Search_parameters_are_validated()
    {
        await CreateCollection("c");
        await AssertProblem(await Http.GetAsync("/collections/c/search?q=x&k=0"), HttpStatusCode.BadRequest, "k must be");
        await AssertProblem(await Http.GetAsync("/collections/c/search?q="), HttpStatusCode.BadRequest, "empty");
        await AssertProblem(await Http.GetAsync("/collections/c/search?q=x&mode=psychic"), HttpStatusCode.BadRequest, "unknown mode");
        await AssertProblem(await Http.GetAsync("/collections/c/search?q=x&group=page"), HttpStatusCode.BadRequest, "group");
        await AssertProblem(await Http.GetAsync("/collections/c/search?q=x&filter=nocolon"), HttpStatusCode.BadRequest, "key:value");
        await AssertProblem(await Http.GetAsync("/collections/c/search?q=x&k=abc"), HttpStatusCode.BadRequest, "");
    }

    [Fact]
    public async Task Files_are_uploaded_in_any_supported_format_and_bad_files_are_refused_alone()
    {
        await CreateCollection("c");
        async Task<HttpResponseMessage> Upload(string name, byte[] bytes, string? id = null, string? metadata = null)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", name } };
            if (id is not null) form.Add(new StringContent(id), "id");
            if (metadata is not null) form.Add(new StringContent(metadata), "metadata");
            return await Http.PostAsync("/collections/c/documents/upload?wait=indexed", form);
        }
        var md = await Upload("report.md", Encoding.UTF8.GetBytes("# Report\n\n## Wind\n\nThe gearbox on turbine CT-4 failed in February."), metadata: "{\"team\": \"ops\"}");
        Assert.Equal(HttpStatusCode.Created, md.StatusCode);
        var vtt = await Upload("sync.vtt", Encoding.UTF8.GetBytes("WEBVTT\n\n00:01:00.000 --> 00:01:09.000\n<v Ana>We moved the launch to March.\n"), id: "meeting-1");
        Assert.Equal("meeting-1", (await Json(vtt)).GetProperty("document").GetProperty("id").GetString());

        await AssertProblem(await Upload("garbage.txt", [0, 1, 2, 3, 0, 0]), HttpStatusCode.UnprocessableEntity, "binary");
        await AssertProblem(await Upload("empty.txt", []), HttpStatusCode.UnprocessableEntity, "empty");
        await AssertProblem(await Upload("notes.xyz", Encoding.UTF8.GetBytes("hello")), HttpStatusCode.UnprocessableEntity, "unsupported format");
        await AssertProblem(await Upload("broken.pdf", Encoding.UTF8.GetBytes("%PDF-1.7 nonsense")), HttpStatusCode.UnprocessableEntity, "pdftotext");
        await AssertProblem(await Upload("x.md", Encoding.UTF8.GetBytes("# x\n\ny"), metadata: "[1]"), HttpStatusCode.UnprocessableEntity, "metadata");
        await AssertProblem(await Http.PostAsync("/collections/c/documents/upload", new StringContent("x")), HttpStatusCode.UnsupportedMediaType, "multipart");
        await AssertProblem(await Http.PostAsync("/collections/c/documents", new StringContent("x")), HttpStatusCode.UnsupportedMediaType, "application/json");

        var wind = (await Json(await Http.GetAsync("/collections/c/search?q=gearbox+failed"))).GetProperty("hits")[0];
        Assert.Equal("Wind", wind.GetProperty("sectionPath").GetString());
        var launch = (await Json(await Http.GetAsync("/collections/c/search?q=launch+march"))).GetProperty("hits")[0];
        Assert.Equal((60.0, 69.0, "Ana"), (launch.GetProperty("startSeconds").GetDouble(), launch.GetProperty("endSeconds").GetDouble(), launch.GetProperty("speaker").GetString()));
        Assert.Equal(2, (await Json(await Http.GetAsync("/collections/c"))).GetProperty("documents").GetInt64());
    }

    [Fact]
    public async Task Hits_show_legal_section_paths_and_transcript_chapters_with_times()
    {
        await CreateCollection("c");
        foreach (var name in new[] { "terms-of-service.txt", "meeting-ES2010c.vtt" })
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(Path.Combine(RepoPaths.Root, "samples", "corpus", name))), "file", name } };
            Assert.Equal(HttpStatusCode.Created, (await Http.PostAsync("/collections/c/documents/upload?wait=indexed", form)).StatusCode);
        }
        // A numbered clause of the terms of service: its path runs from the article down to the titled clause.
        var clause = (await Json(await Http.GetAsync("/collections/c/search?q=refund+after+termination+for+breach"))).GetProperty("hits")[0];
        Assert.Equal("ARTICLE V – REFUNDS > Section 5.4 Refunds After Termination for Breach", clause.GetProperty("sectionPath").GetString());

        // A meeting passage: its chapter has a title and start/end times that contain the passage's own.
        var hits = (await Json(await Http.GetAsync("/collections/c/search?q=remote+control+buttons&k=20"))).GetProperty("hits").EnumerateArray()
            .Where(h => h.GetProperty("title").GetString() == "meeting-ES2010c").ToList();
        Assert.NotEmpty(hits);
        var chapterStarts = new HashSet<double>();
        foreach (var hit in hits)
        {
            var chapter = hit.GetProperty("chapter");
            string title = chapter.GetProperty("title").GetString()!;
            Assert.InRange(title.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Length, 2, 6);
            double start = chapter.GetProperty("startSeconds").GetDouble(), end = chapter.GetProperty("endSeconds").GetDouble();
            Assert.InRange(hit.GetProperty("startSeconds").GetDouble(), start, end);
            Assert.InRange(hit.GetProperty("endSeconds").GetDouble(), start, end);
            chapterStarts.Add(start);
        }
        // The part of a meeting passage that answers: within its text, shorter than it, about what was asked.
        var answered = hits.Where(h => h.TryGetProperty("answer", out var a) && a.ValueKind == JsonValueKind.Object).ToList();
        Assert.NotEmpty(answered);
        foreach (var hit in answered)
        {
            string text = hit.GetProperty("text").GetString()!;
            var answer = hit.GetProperty("answer");
            int from = answer.GetProperty("start").GetInt32(), to = answer.GetProperty("end").GetInt32();
            Assert.True(0 <= from && from < to && to <= text.Length && to - from < text.Length, $"answer {from}..{to} of a {text.Length}-character passage");
            string said = text[from..to];
            Assert.True(said.Contains("remote", StringComparison.OrdinalIgnoreCase) || said.Contains("control", StringComparison.OrdinalIgnoreCase)
                || said.Contains("button", StringComparison.OrdinalIgnoreCase), said);
        }
        // The document view lists every segment with its chapter; chapters tile the meeting in time order.
        var segments = (await Json(await Http.GetAsync("/collections/c/documents/" + Uri.EscapeDataString(hits[0].GetProperty("documentId").GetString()!))))
            .GetProperty("segments").EnumerateArray().Select(s => s.GetProperty("chapter")).ToList();
        var ordinals = segments.Select(c => c.GetProperty("ordinal").GetInt32()).ToList();
        Assert.Equal(ordinals.Order(), ordinals);
        Assert.True(ordinals[^1] >= 1, "a 30-minute meeting has more than one chapter");
    }

    [Fact]
    public async Task Ndjson_bulk_tasks_run_in_the_background_and_report_bad_lines()
    {
        await CreateCollection("c");
        var ndjson = new StringBuilder();
        for (int i = 0; i < 30; i++) ndjson.Append($"{{\"id\": \"d{i}\", \"title\": \"Doc {i}\", \"text\": \"body of document {i} about topic{i % 3}\"}}\n");
        ndjson.Append("{\"id\": \"broken\", \"text\": \n");
        ndjson.Append("{\"id\": \"notext\", \"title\": \"\"}\n");
        var response = await Http.PostAsync("/collections/c/bulk", new StringContent(ndjson.ToString(), Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        string id = (await Json(response)).GetProperty("id").GetString()!;
        Assert.Equal($"/tasks/{id}", response.Headers.Location!.ToString());
        var task = await Json(await Http.GetAsync($"/tasks/{id}?wait=indexed"));
        // Every done item is searchable through every searchable stage.
        Assert.Equal((30, 30), (task.GetProperty("searchable").GetProperty("lexical").GetInt32(), task.GetProperty("searchable").GetProperty("dense").GetInt32()));
        Assert.Equal(("succeeded", 30, 2, 32), (task.GetProperty("task").GetProperty("state").GetString(), task.GetProperty("task").GetProperty("done").GetInt32(),
            task.GetProperty("task").GetProperty("failed").GetInt32(), task.GetProperty("task").GetProperty("total").GetInt32()));
        var errors = task.GetProperty("errors");
        Assert.Contains("malformed JSON", errors[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("line 31", errors[0].GetProperty("input").GetString());
        Assert.Equal(10, (await Json(await Http.GetAsync("/collections/c/search?q=topic1&k=100"))).GetProperty("hits").GetArrayLength());
        Assert.Equal(id, (await Json(await Http.GetAsync("/tasks")))[0].GetProperty("id").GetString());
        await AssertProblem(await Http.PostAsync($"/tasks/{id}/cancel", null), HttpStatusCode.Conflict, "cannot be cancelled");
        await AssertProblem(await Http.GetAsync("/tasks/nope"), HttpStatusCode.NotFound, "does not exist");
    }

    [Fact]
    public async Task Path_bulk_tasks_expand_globs_and_refuse_empty_requests()
    {
        await CreateCollection("c");
        Dir.Write("in/a.md", "# A\n\nalpha text");
        Dir.Write("in/b.txt", "beta text");
        Dir.Write("in/sub/c.srt", "1\n00:00:01,000 --> 00:00:02,000\nGAMMA: gamma text\n");
        var response = await Http.PostAsJsonAsync("/collections/c/bulk", new { paths = new[] { Dir.File("in/**/*.*") } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var task = await Json(await Http.GetAsync($"/tasks/{(await Json(response)).GetProperty("id").GetString()}?wait=indexed"));
        Assert.Equal(3, task.GetProperty("task").GetProperty("done").GetInt32());
        Assert.Single((await Json(await Http.GetAsync("/collections/c/search?q=gamma"))).GetProperty("hits").EnumerateArray());
        // A bulk request may itself wait: it answers with the finished, searchable task.
        var waited = await Http.PostAsJsonAsync("/collections/c/bulk?wait=indexed", new { paths = new[] { Dir.Write("in2/d.md", "# D\n\ndelta text") } });
        Assert.Equal(HttpStatusCode.OK, waited.StatusCode);
        Assert.Equal(("succeeded", 1), ((await Json(waited)).GetProperty("task").GetProperty("state").GetString(), (await Json(waited)).GetProperty("searchable").GetProperty("lexical").GetInt32()));
        Assert.Single((await Json(await Http.GetAsync("/collections/c/search?q=delta"))).GetProperty("hits").EnumerateArray());
        await AssertProblem(await Http.PostAsJsonAsync("/collections/c/bulk", new { paths = new[] { Dir.File("in/*.pdf") } }), HttpStatusCode.BadRequest, "no file matched");
        await AssertProblem(await Http.PostAsJsonAsync("/collections/c/bulk", new { paths = Array.Empty<string>() }), HttpStatusCode.BadRequest, "paths");
        await AssertProblem(await Http.PostAsync("/collections/c/bulk", new StringContent("x", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "ndjson");
        await AssertProblem(await Http.PostAsJsonAsync("/collections/none/bulk", new { paths = new[] { "x" } }), HttpStatusCode.NotFound, "does not exist");
    }

    [Fact]
    public async Task A_collection_says_what_is_stored_and_what_each_stage_has_made_searchable()
    {
        await CreateCollection("c");
        for (int i = 0; i < 5; i++) await Http.PostAsJsonAsync("/collections/c/documents?wait=indexed", new { id = "d" + i, text = "viewable text " + i });
        var view = await Json(await Http.GetAsync("/collections/c"));
        Assert.Equal(5, view.GetProperty("documents").GetInt64());
        long latest = view.GetProperty("latestChange").GetInt64();
        var stages = view.GetProperty("index").GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(["dense", "lexical"], stages.Keys.Order());
        foreach (var stage in stages.Values)
        {
            Assert.Equal((5, latest, 0), (stage.GetProperty("documents").GetInt64(), stage.GetProperty("sequence").GetInt64(), stage.GetProperty("pendingChanges").GetInt64()));
        }
        Assert.True(view.GetProperty("index").GetProperty("owned").GetBoolean());
        // A search says how current the index it read was.
        var search = await Json(await Http.GetAsync("/collections/c/search?q=viewable"));
        Assert.Equal(latest, search.GetProperty("index").GetProperty("lexical").GetInt64());
        Assert.Equal(latest, search.GetProperty("index").GetProperty("latestChange").GetInt64());
    }

    [Fact]
    public async Task Deleting_a_collection_cancels_its_tasks_and_keeps_their_history()
    {
        await CreateCollection("c");
        var queued = await Host.Engine.Store.CreateTaskAsync("c", [new Indexing.Storage.TaskItemInput(Indexing.Storage.TaskItemKind.Json, """{"id": "x", "text": "x"}""")]);
        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync("/collections/c")).StatusCode);
        var view = await Json(await Http.GetAsync($"/tasks/{queued.Id}"));
        Assert.Equal(("c", "cancelled"), (view.GetProperty("task").GetProperty("collection").GetString(), view.GetProperty("task").GetProperty("state").GetString()));
        Assert.Equal(JsonValueKind.Null, view.GetProperty("searchable").ValueKind);
    }

    [Fact]
    public async Task Reindex_through_the_admin_api_swaps_generations()
    {
        await CreateCollection("c");
        for (int i = 0; i < 20; i++) await Http.PostAsJsonAsync("/collections/c/documents?wait=indexed", new { id = "d" + i, title = "T", text = "reindexable text " + i });
        var response = await Http.PostAsync("/admin/collections/c/reindex", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await Json(response);
        Assert.Equal((2, "building"), (started.GetProperty("id").GetInt32(), started.GetProperty("state").GetString()));
        JsonElement generations = default;
        for (int i = 0; i < 300; i++)
        {
            generations = await Json(await Http.GetAsync("/admin/collections/c/generations"));
            if (generations.EnumerateArray().Any(g => g.GetProperty("id").GetInt32() == 2 && g.GetProperty("state").GetString() == "serving")) break;
            await Task.Delay(50);
        }
        var serving = generations.EnumerateArray().Single(g => g.GetProperty("state").GetString() == "serving");
        Assert.Equal((2, 20), (serving.GetProperty("id").GetInt32(), serving.GetProperty("segments").GetInt32()));
        Assert.True(serving.GetProperty("sizeBytes").GetInt64() > 0);
        Assert.Equal(10, (await Json(await Http.GetAsync("/collections/c/search?q=reindexable"))).GetProperty("hits").GetArrayLength());
        await AssertProblem(await Http.GetAsync("/admin/collections/nope/generations"), HttpStatusCode.NotFound, "does not exist");
        // The reindex learned the dense side too; a write after it is embedded with that model.
        var dense = await Json(await Http.GetAsync("/admin/collections/c/dense"));
        Assert.Equal((true, 20, 20, 0, "exact"), (dense.GetProperty("learned").GetBoolean(), dense.GetProperty("segments").GetInt32(),
            dense.GetProperty("learnedSegments").GetInt32(), dense.GetProperty("embeddedSinceLearning").GetInt32(), dense.GetProperty("vectorIndex").GetString()));
        await Http.PostAsJsonAsync("/collections/c/documents?wait=indexed", new { id = "late", title = "T", text = "reindexable text that came late" });
        Assert.Equal(1, (await Json(await Http.GetAsync("/collections/c/search?q=late&mode=hybrid"))).GetProperty("hits").EnumerateArray().Count(h => h.GetProperty("documentId").GetString() == "late"));
        dense = await Json(await Http.GetAsync("/admin/collections/c/dense"));
        Assert.Equal((21, 1), (dense.GetProperty("segments").GetInt32(), dense.GetProperty("embeddedSinceLearning").GetInt32()));
        await AssertProblem(await Http.GetAsync("/admin/collections/nope/dense"), HttpStatusCode.NotFound, "does not exist");
        await AssertProblem(await Http.PostAsync("/admin/collections/nope/reindex", null), HttpStatusCode.NotFound, "does not exist");
    }
}
