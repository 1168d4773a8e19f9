using System.Text.Json;
using Search.Segmentation.Analysis;

namespace Search.Segmentation.Topics;

/// <summary>The result of a segmentation evaluation over a file of documents.</summary>
public sealed record SegmentEvaluationReport(double Pk, double WindowDiff, double PkMicro, int Documents, int Units, double Seconds, long TextBytes, int WordClasses)
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

    /// <summary>
    /// Runs the evaluation; <paramref name="kind"/> is auto (transcript when units are speaker turns, else
    /// prose), legal, transcript or prose. <paramref name="learnClasses"/>, when given, learns word classes
    /// from the file's documents (its collection) before any is segmented, as ingestion has its collection's.
    /// </summary>
    public static SegmentEvaluationReport Run(string dataPath, string outputPath, string kind, Func<IReadOnlyList<IReadOnlyList<string>>, WordClasses?>? learnClasses = null)
    {
        var documents = Read(dataPath);
        var units = new List<IReadOnlyList<string>>(documents.Count);
        foreach (var d in documents) units.Add(d.Units);
        var classes = learnClasses?.Invoke(units);
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
            documents.Count, unitCount, segmenting.Elapsed.TotalSeconds, bytes, classes?.Count ?? 0);
    }

    /// <summary>The settings for a --kind value.</summary>
    public static DescriptionLengthOptions OptionsFor(string kind) => kind switch
    {
        "auto" or "prose" => DescriptionLengthOptions.ForKind(DocumentKind.Prose),
        "legal" => DescriptionLengthOptions.ForKind(DocumentKind.Legal),
        "transcript" => DescriptionLengthOptions.ForKind(DocumentKind.Transcript),
        _ => throw new ArgumentException($"unknown --kind '{kind}'; use auto, legal, transcript or prose"),
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
