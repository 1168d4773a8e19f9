using System.Globalization;

namespace Search.Benchmarks.Attention;

/// <summary>The document-block counts to run, from ATTENTION_BENCH_DOCS (comma-separated) or the 10, 50, 100, 200, 500.</summary>
public static class DocumentCounts
{
    /// <summary>The counts, for [ParamsSource].</summary>
    public static IEnumerable<int> FromEnvironment(string variable, string fallback) =>
        (Environment.GetEnvironmentVariable(variable) ?? fallback)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture));
}
