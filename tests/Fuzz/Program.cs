using System.Text;
using System.Text.Json;
using Search.Indexing.Extraction;
using Search.Ranking;
using Search.Segmentation.Analysis;
using Search.Service;
using Search.Service.Security;
using SharpFuzz;

// Search.Fuzz TARGET: one fuzz target under afl-fuzz (tools/fuzz.sh), or one input from stdin when run alone.
// A target fails only on an exception that is not the clear refusal it is allowed to give; afl-fuzz counts those as
// crashes, and its timeout catches hangs.
string target = args.Length == 1 ? args[0] : "";
Action<byte[]>? run = target switch
{
    "txt" or "md" or "html" or "docx" or "pdf" or "vtt" or "srt" => input => Extract("input." + target, input),
    "json" => input => Refusing(() => JsonDocumentReader.Parse(TextDecoding.DecodeUtf8(input, "input.json"), "input", "untitled")),
    "ndjson" => input =>
    {
        foreach (string line in Encoding.UTF8.GetString(input).Split('\n'))
            if (line.Trim().Length > 0) Refusing(() => JsonDocumentReader.Parse(line, "line", "untitled"));
    },
    "query" => input =>
    {
        string text = Encoding.UTF8.GetString(input);
        Analyzer.English.Analyze(text);
        Refusing(() => SearchFilters.Parse(text.Split('\n')));
    },
    "rest" => input =>
    {
        // The bodies the REST API binds, with the service's JSON options, as the endpoints receive them.
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Refusing(() => JsonSerializer.Deserialize<SearchBody>(input, json));
        Refusing(() => JsonSerializer.Deserialize<EmbeddingsRequest>(input, json));
        Refusing(() => JsonSerializer.Deserialize<CreateKeyRequest>(input, json));
        Refusing(() => JsonSerializer.Deserialize<BulkPathsRequest>(input, json));
        Refusing(() => JsonSerializer.Deserialize<CreateCollectionRequest>(input, json));
    },
    _ => null,
};
if (run is null)
{
    Console.Error.WriteLine("usage: Search.Fuzz txt|md|html|docx|pdf|vtt|srt|json|ndjson|query|rest  (input on stdin, or under afl-fuzz)");
    return 2;
}
Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    run(buffer.ToArray());
});
return 0;

static void Extract(string fileName, byte[] input) =>
    Refusing(() => ExtractorRegistry.Default.For(fileName).Extract(new SourceInput(fileName, input)));

// The refusals each target may give: anything else escapes and is a crash.
static void Refusing(Action action)
{
    try
    {
        action();
    }
    catch (Exception e) when (e is ExtractionException or InvalidDocumentException or JsonException or ArgumentException)
    {
    }
}
