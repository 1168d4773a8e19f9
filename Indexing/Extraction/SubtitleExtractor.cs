using Search.Segmentation;

namespace Search.Indexing.Extraction;

/// <summary>WebVTT and SubRip transcripts: every cue becomes a block with its start and end time and, where given, its speaker.</summary>
public sealed class SubtitleExtractor : IExtractor
{
    /// <inheritdoc />
    public IReadOnlyList<string> Extensions { get; } = [".vtt", ".srt"];

    /// <inheritdoc />
    public string MediaType => "text/vtt";

    /// <inheritdoc />
    public ExtractedDocument Extract(SourceInput source)
    {
        string text = TextDecoding.DecodeUtf8(source.Content.Span, source.FileName).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        bool vtt = source.Extension == ".vtt";
        var lines = text.Split('\n');
        int i = 0;
        string? title = null;
        if (vtt)
        {
            if (!lines[0].TrimStart('\uFEFF').StartsWith("WEBVTT", StringComparison.Ordinal))
                throw new ExtractionException($"{source.FileName}: a WebVTT file must start with 'WEBVTT'");
            string header = lines[0].Trim()["WEBVTT".Length..].Trim(' ', '-', '\t');
            if (header.Length > 0) title = header;
            i = 1;
        }
        var blocks = new List<TextBlock>();
        double lastStart = 0;
        while (i < lines.Length)
        {
            // One cue: optional identifier, a timing line, payload lines up to a blank line.
            while (i < lines.Length && string.IsNullOrWhiteSpace(lines[i])) i++;
            if (i >= lines.Length) break;
            int blockStart = i;
            if (vtt && (lines[i].StartsWith("NOTE", StringComparison.Ordinal) || lines[i].StartsWith("STYLE", StringComparison.Ordinal) || lines[i].StartsWith("REGION", StringComparison.Ordinal)))
            {
                while (i < lines.Length && !string.IsNullOrWhiteSpace(lines[i])) i++;
                continue;
            }
            if (!lines[i].Contains("-->", StringComparison.Ordinal)) i++; // cue identifier
            if (i >= lines.Length || !lines[i].Contains("-->", StringComparison.Ordinal))
                throw new ExtractionException($"{source.FileName}: line {blockStart + 1}: expected a cue timing line 'start --> end'");
            var (start, end) = ParseTiming(lines[i], source.FileName, i + 1);
            i++;
            var payload = new System.Text.StringBuilder();
            while (i < lines.Length && !string.IsNullOrWhiteSpace(lines[i])) payload.Append(lines[i++]).Append('\n');
            var (speaker, cueText) = TranscriptText.SpeakerAndText(payload.ToString());
            if (cueText.Length == 0) continue;
            // Times are kept monotone: a cue that starts before the previous one is clamped to it.
            if (start < lastStart) start = lastStart;
            if (end < start) end = start;
            lastStart = start;
            blocks.Add(new TextBlock(BlockKind.Cue, cueText, [], 0, start, end, speaker));
        }
        if (blocks.Count == 0) throw new ExtractionException($"{source.FileName}: no cues found");
        return new ExtractedDocument(title ?? source.Stem, vtt ? "text/vtt" : "application/x-subrip", DocumentKind.Transcript, blocks);
    }

    private static (double Start, double End) ParseTiming(string line, string file, int lineNumber)
    {
        int arrow = line.IndexOf("-->", StringComparison.Ordinal);
        string left = line[..arrow].Trim();
        string right = line[(arrow + 3)..].Trim();
        int space = right.IndexOfAny([' ', '\t']);
        if (space > 0) right = right[..space]; // cue settings follow the end time
        if (TranscriptText.ParseTime(left) is not double s || TranscriptText.ParseTime(right) is not double e)
            throw new ExtractionException($"{file}: line {lineNumber}: bad cue timing '{line.Trim()}'");
        return (s, e);
    }
}
