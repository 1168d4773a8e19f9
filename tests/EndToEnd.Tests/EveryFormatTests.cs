using System.Net.Http.Json;
using System.Text.Json;
using Search.TestSupport;

namespace Search.EndToEnd.Tests;

/// <summary>Every supported format goes in through the CLI and comes back out of the REST service with its place in the document.</summary>
public class EveryFormatTests
{
    [Fact]
    public async Task Ingest_then_search_every_format()
    {
        using var dir = new TempDirectory();
        string input = dir.File("in");
        Directory.CreateDirectory(input);
        foreach (var f in Directory.GetFiles(RepoPaths.SampleCorpus)) File.Copy(f, Path.Combine(input, Path.GetFileName(f)));
        dir.Write("in/policy.docx", TestFiles.Docx("Staffing Policy", ("Heading1", "Scope"), (null, "Applies to permanent staff."), ("Heading1", "Exemptions"), (null, "Seasonal contractors are exempt from the overtime cap.")));
        dir.Write("in/findings.pdf", TestFiles.Pdf("Quarterly Findings", "", "Warehouse throughput doubled after the conveyor retrofit.", "", "Costs were flat."));
        dir.Write("in/rows.jsonl", "{\"_id\": \"row-1\", \"title\": \"Glacier\", \"text\": \"Moraines mark the glacier's furthest advance.\"}\n{\"_id\": \"row-2\", \"title\": \"Delta\", \"text\": \"Sediment builds the delta.\"}\n");
        dir.Write("in/plain.json", "{\"id\": \"json-doc\", \"title\": \"Kiln\", \"text\": \"Stoneware is fired in the kiln at 1280 degrees.\", \"metadata\": {\"craft\": \"pottery\"}}");

        string data = dir.File("data");
        var ingest = await SearchProcess.RunAsync(data, "ingest", input, "--collection", "all");
        Assert.True(ingest.ExitCode == 0, ingest.Stdout + ingest.Stderr);

        var (server, http) = await SearchProcess.ServeAsync(data);
        try
        {
            async Task<JsonElement> Top(string q)
            {
                var hits = (await http.GetFromJsonAsync<JsonElement>($"/collections/all/search?q={Uri.EscapeDataString(q)}&k=3")).GetProperty("hits");
                Assert.True(hits.GetArrayLength() > 0, $"no hits for '{q}'");
                return hits[0];
            }
            static string Doc(JsonElement hit) => Path.GetFileName(hit.GetProperty("documentId").GetString()!);

            var refunds = await Top("refund policy for annual plans");
            Assert.Equal("terms-of-service.txt", Doc(refunds));
            Assert.Contains("REFUNDS", refunds.GetProperty("sectionPath").GetString(), StringComparison.Ordinal);
            // The gearbox failure is told twice in the report (the operations account and the risk it left); both must lead.
            var gearbox = (await http.GetFromJsonAsync<JsonElement>($"/collections/all/search?q={Uri.EscapeDataString("gearbox failure turbine out of service")}&k=2")).GetProperty("hits").EnumerateArray().ToList();
            Assert.All(gearbox, h => Assert.Equal("annual-report.md", Doc(h)));
            Assert.Contains("Operations > Wind", gearbox.Select(h => h.GetProperty("sectionPath").GetString()));
            Assert.Equal("field-guide.html", Doc(await Top("ringed plover little ringed plover difference")));
            var bees = await Top("when to treat hives for varroa mites");
            Assert.Equal("podcast-excerpt.srt", Doc(bees));
            Assert.True(bees.GetProperty("startSeconds").GetDouble() > 0);
            var remote = await Top("kinetic power hand dynamo shake the remote");
            Assert.Equal("meeting-ES2010c.vtt", Doc(remote));
            Assert.Equal(JsonValueKind.Number, remote.GetProperty("endSeconds").ValueKind);
            Assert.Equal("committee-education_19.json", Doc(await Top("Global Wales programme recruit international students")));
            Assert.Equal("judgment-2009_B_16.txt", Doc(await Top("Yakshagana ballets copyright")));
            var docx = await Top("seasonal contractors overtime cap");
            Assert.Equal(("policy.docx", "Exemptions", "Staffing Policy"), (Doc(docx), docx.GetProperty("sectionPath").GetString(), docx.GetProperty("title").GetString()));
            Assert.Equal("findings.pdf", Doc(await Top("warehouse throughput conveyor retrofit")));
            Assert.Equal("row-1", Doc(await Top("moraines glacier advance")));
            Assert.Equal("json-doc", Doc(await Top("stoneware kiln")));
            var collection = await http.GetFromJsonAsync<JsonElement>("/collections/all");
            Assert.Equal(Directory.GetFiles(RepoPaths.SampleCorpus).Length + 5, collection.GetProperty("documents").GetInt64());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            http.Dispose();
        }
    }
}
