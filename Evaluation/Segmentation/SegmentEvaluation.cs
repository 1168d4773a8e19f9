using System.Text.Json;
using Search.Indexing.Embeddings;
using Search.Segmentation;
using Search.Segmentation.Analysis;
using Search.Segmentation.Topics;

namespace Search.Evaluation.Segmentation;

/// <summary>The result of a segmentation evaluation over a file of documents.</summary>
public sealed record SegmentEvaluationReport(double Pk, double WindowDiff, double PkMicro, int Documents, int Units, double Seconds, long TextBytes, int WordClasses,
    int ClassedWords, double ClassSeconds)
{
    /// <summary>Segmentation throughput in MB of unit text per second (one thread).</summary>
    public double MegabytesPerSecond => Seconds > 0 ? TextBytes / 1e6 / Seconds : 0;
}

/// <summary>
/// <c>./search segment-eval</c>: reads documents whose units and gold boundaries are given (one JSON
/// object a line: id, sentences, boundaries), predicts boundaries without being told how many there are,
/// writes <c>{"id", "boundaries"}</c> per line, and scores Pk / WindowDiff as the shared scorer does.
/// </summary>
public static class SegmentEvaluation
{
    private sealed record GoldDocument(string Id, List<string> Units, List<int> Boundaries, bool SpeakerTurns);

    /// <summary>The kinds a run can be asked for: auto (transcript when units are speaker turns, else prose), legal, transcript or prose.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["auto", "legal", "transcript", "prose"];

    /// <summary>
    /// Runs the evaluation for one of <see cref="Kinds"/>. With <paramref name="wordClasses"/> the file is the
    /// collection: word classes are learned from its documents before any is segmented, as a collection's pipeline
    /// publishes them for ingestion.
    /// </summary>
    public static SegmentEvaluationReport Run(string dataPath, string outputPath, string kind, bool wordClasses)
    {
        OptionsFor(kind);
        var documents = Read(dataPath);
        var learning = System.Diagnostics.Stopwatch.StartNew();
        WordClasses? classes = null;
        if (wordClasses)
        {
            var units = new List<IReadOnlyList<string>>(documents.Count);
            foreach (var d in documents) units.Add(d.Units);
            classes = WordClassLearner.Learn(units, Analyzer.English);
        }
        double classSeconds = learning.Elapsed.TotalSeconds;
        double pk = 0, wd = 0, pkProbes = 0;
        int probes = 0, unitCount = 0;
        long bytes = 0;
        var segmenting = new System.Diagnostics.Stopwatch();
        using (var writer = new StreamWriter(outputPath))
        {
            foreach (var d in documents)
            {
                string effective = kind == "auto" ? (d.SpeakerTurns ? "transcript" : "prose") : kind;
                var segmenter = new DescriptionLengthSegmenter(Analyzer.English, OptionsFor(effective), classes);
                segmenting.Start();
                var predicted = segmenter.Boundaries(d.Units);
                segmenting.Stop();
                foreach (var u in d.Units) bytes += System.Text.Encoding.UTF8.GetByteCount(u);
                writer.Write(JsonSerializer.Serialize(new { id = d.Id, boundaries = predicted }));
                writer.Write('\n');
                var score = SegmentationMetrics.Score(d.Units.Count, d.Boundaries, [.. predicted]);
                pk += score.Pk;
                wd += score.WindowDiff;
                pkProbes += score.Pk * score.Probes;
                probes += score.Probes;
                unitCount += d.Units.Count;
            }
        }
        int n = Math.Max(1, documents.Count);
        return new SegmentEvaluationReport(Math.Round(pk / n, 4), Math.Round(wd / n, 4), probes == 0 ? 0 : Math.Round(pkProbes / probes, 4),
            documents.Count, unitCount, segmenting.Elapsed.TotalSeconds, bytes, classes?.Count ?? 0, classes?.Words ?? 0, classSeconds);
    }

    /// <summary>The settings for one of <see cref="Kinds"/>.</summary>
    public static DescriptionLengthOptions OptionsFor(string kind) => kind switch
    {
        "auto" or "prose" => DescriptionLengthOptions.ForKind(DocumentKind.Prose),
        "legal" => DescriptionLengthOptions.ForKind(DocumentKind.Legal),
        "transcript" => DescriptionLengthOptions.ForKind(DocumentKind.Transcript),
        _ => throw new ArgumentException($"unknown kind '{kind}'; use {string.Join(", ", Kinds)}"),
    };

    private static List<GoldDocument> Read(string path)
    {
        var list = new List<GoldDocument>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                string id = root.GetProperty("id").ValueKind == JsonValueKind.String ? root.GetProperty("id").GetString()! : root.GetProperty("id").GetRawText();
                var units = root.GetProperty("sentences").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
                var boundaries = root.TryGetProperty("boundaries", out var b) ? b.EnumerateArray().Select(e => e.GetInt32()).ToList() : [];
                // Units with speakers are turns of a conversation: structure of the input, not a label.
                bool turns = root.TryGetProperty("speakers", out var s) && s.ValueKind == JsonValueKind.Array && s.GetArrayLength() == units.Count;
                list.Add(new GoldDocument(id, units, boundaries, turns));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new FormatException($"{path}:{line}: expected {{\"id\", \"sentences\": [...], \"boundaries\": [...]}} ({e.Message})");
            }
        }
        return list;
    }
}
