using Search.Indexing.Extraction;
using Search.Indexing.Ingestion;
using Search.TestSupport;

namespace Search.Indexing.Tests;

/// <summary>Path expansion stops at its limits with a clear error instead of walking without end.</summary>
public sealed class PathExpansionLimitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Too_many_matches_are_refused_by_count()
    {
        for (int i = 0; i < 12; i++) _dir.Write($"many/{i:00}.txt", "x");
        var limits = new PathExpansionLimits(MaxMatches: 10);
        var e = Assert.Throws<ArgumentException>(() => PathExpansion.Expand([_dir.File("many/*.txt")], ExtractorRegistry.Default, IngestRoots.Unrestricted, limits));
        Assert.Contains("more than 10 files", e.Message);
        Assert.Equal(12, PathExpansion.Expand([_dir.File("many")], ExtractorRegistry.Default, IngestRoots.Unrestricted, new PathExpansionLimits(MaxMatches: 12)).Count);
    }

    [Fact]
    public void A_walk_over_too_many_entries_is_refused_even_when_little_matches()
    {
        for (int i = 0; i < 40; i++) _dir.Write($"wide/{i:00}.bin", "x");
        var e = Assert.Throws<ArgumentException>(() => PathExpansion.Expand([_dir.File("wide/**/*.txt")], ExtractorRegistry.Default, IngestRoots.Unrestricted, new PathExpansionLimits(MaxEntriesVisited: 30)));
        Assert.Contains("more than 30 entries", e.Message);
    }

    [Fact]
    public void A_walk_stops_when_the_caller_cancels()
    {
        for (int i = 0; i < 600; i++) _dir.Write($"deep/{i:000}.txt", "x");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => PathExpansion.Expand([_dir.File("deep/**/*.txt")], ExtractorRegistry.Default, IngestRoots.Unrestricted, ct: cancelled.Token));
    }

    [Fact]
    public void Self_linked_directories_are_not_followed()
    {
        _dir.Write("loop/a.txt", "x");
        Directory.CreateSymbolicLink(_dir.File("loop/again"), _dir.File("loop"));
        Directory.CreateSymbolicLink(_dir.File("loop/up"), _dir.Path);
        Assert.Equal(["a.txt"], PathExpansion.Expand([_dir.File("loop/**/*")], ExtractorRegistry.Default, IngestRoots.Unrestricted).Select(Path.GetFileName));
    }

    [Fact]
    public void Without_roots_no_server_path_is_read()
    {
        var e = Assert.Throws<ArgumentException>(() => PathExpansion.Expand([_dir.Write("a.txt", "x")], ExtractorRegistry.Default, IngestRoots.None));
        Assert.Contains("--ingest-root", e.Message);
    }
}
