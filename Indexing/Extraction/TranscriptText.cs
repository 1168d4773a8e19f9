using System.Globalization;
using System.Text.RegularExpressions;

namespace Search.Indexing.Extraction;

/// <summary>Shared parsing for transcript formats: cue times, speaker labels and inline markup.</summary>
internal static partial class TranscriptText
{
    [GeneratedRegex(@"^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")]
    private static partial Regex Clock();

    [GeneratedRegex(@"<v(?:\.[^ >]*)?\s+([^>]+)>")]
    private static partial Regex VoiceTag();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex AnyTag();

    [GeneratedRegex(@"^(?:-\s*)?([\p{Lu}][\p{L}\p{N} .'’-]{0,38}?)\s*:\s+(\S.*)$", RegexOptions.Singleline)]
    private static partial Regex SpeakerPrefix();

    /// <summary>Parses "hh:mm:ss.mmm", "mm:ss,mmm" or plain seconds; null when it is neither.</summary>
    public static double? ParseTime(string text)
    {
        text = text.Trim();
        var m = Clock().Match(text);
        if (m.Success)
        {
            double h = m.Groups[1].Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            double min = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            double s = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            double frac = m.Groups[4].Success ? int.Parse(m.Groups[4].Value.PadRight(3, '0'), CultureInfo.InvariantCulture) / 1000.0 : 0;
            if (min >= 60 && m.Groups[1].Success || s >= 60) return null;
            return h * 3600 + min * 60 + s + frac;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 && double.IsFinite(v) ? v : null;
    }

    /// <summary>Splits a cue payload into speaker (from a WebVTT voice tag or a "Name:" prefix) and plain text.</summary>
    public static (string? Speaker, string Text) SpeakerAndText(string payload)
    {
        string? speaker = null;
        var voice = VoiceTag().Match(payload);
        if (voice.Success) speaker = voice.Groups[1].Value.Trim();
        string text = TextDecoding.CollapseWhitespace(System.Net.WebUtility.HtmlDecode(AnyTag().Replace(payload, " ")));
        if (speaker is null)
        {
            var prefix = SpeakerPrefix().Match(text);
            if (prefix.Success && CountWords(prefix.Groups[1].Value) <= 4)
            {
                speaker = prefix.Groups[1].Value.Trim();
                text = prefix.Groups[2].Value.Trim();
            }
        }
        return (string.IsNullOrEmpty(speaker) ? null : speaker, text);
    }

    private static int CountWords(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}
