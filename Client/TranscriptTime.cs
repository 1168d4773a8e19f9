using System.Globalization;

namespace Search.Client;

/// <summary>Times in a transcript as people read them: m:ss, or h:mm:ss from an hour on.</summary>
public static class TranscriptTime
{
    /// <summary>Formats a time in seconds.</summary>
    public static string Format(double seconds) =>
        TimeSpan.FromSeconds(seconds).ToString(seconds >= 3600 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);
}
