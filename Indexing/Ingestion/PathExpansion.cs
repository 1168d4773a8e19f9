using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Search.Core.IO;
using Search.Indexing.Extraction;

namespace Search.Indexing.Ingestion;

/// <summary>How far expanding one request's paths may go before it is refused as too broad.</summary>
/// <param name="MaxMatches">Files one request may name in all.</param>
/// <param name="MaxEntriesVisited">Directory entries a request's walks may look at.</param>
/// <param name="TimeBudget">Wall time the walks may take.</param>
public sealed record PathExpansionLimits(int MaxMatches = 100_000, int MaxEntriesVisited = 2_000_000, TimeSpan? TimeBudget = null)
{
    /// <summary>The time budget actually applied (30 s unless set).</summary>
    public TimeSpan EffectiveTimeBudget => TimeBudget ?? TimeSpan.FromSeconds(30);
}

/// <summary>
/// Expands the paths a bulk request names: plain files, directories (every supported file below them) and globs
/// (*, ?, **), within the ingest roots. Walks never follow symbolic links (a linked file or directory is skipped), and
/// stop with a clear error past the limits or when the caller goes away.
/// </summary>
public static class PathExpansion
{
    private static readonly EnumerationOptions Walk = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = FileAttributes.ReparsePoint, // symbolic links: self-links and links out of the roots go nowhere
        IgnoreInaccessible = true,
        ReturnSpecialDirectories = false,
    };

    /// <summary>
    /// The files named, in a stable order without repeats. A plain path that does not exist is kept, so that its item
    /// fails with a clear error. <see cref="ArgumentException"/> for a path outside the roots or a walk past the limits.
    /// </summary>
    public static List<string> Expand(IEnumerable<string> pathsOrGlobs, ExtractorRegistry registry, IngestRoots roots, PathExpansionLimits? limits = null, CancellationToken ct = default)
    {
        limits ??= new PathExpansionLimits();
        var budget = new WalkBudget(limits, ct);
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string p)
        {
            if (!seen.Add(p)) return;
            if (result.Count >= limits.MaxMatches) throw new ArgumentException($"the paths name more than {limits.MaxMatches:N0} files; name fewer, or split the request");
            result.Add(p);
        }
        foreach (var raw in pathsOrGlobs)
        {
            if (string.IsNullOrWhiteSpace(raw)) continue;
            string located = roots.Locate(raw);
            if (located.IndexOfAny(['*', '?']) >= 0)
            {
                foreach (var f in Glob(located, raw, roots, budget)) Add(f);
            }
            else if (Directory.Exists(located))
            {
                string directory = RealDirectory(located, raw, roots);
                var files = new List<string>();
                foreach (var f in Directory.EnumerateFiles(directory, "*", Walk))
                {
                    budget.Visit(raw);
                    if (registry.Supports(Path.GetExtension(f).ToLowerInvariant()) && !roots.IsExcluded(f)) files.Add(f);
                }
                files.Sort(StringComparer.Ordinal);
                foreach (var f in files) Add(f);
            }
            else
            {
                Add(located);
            }
        }
        return result;
    }

    /// <summary>Counts entries and time across one request's walks.</summary>
    private sealed class WalkBudget(PathExpansionLimits limits, CancellationToken ct)
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private int _visited;

        public void Visit(string what)
        {
            if (++_visited > limits.MaxEntriesVisited)
                throw new ArgumentException($"{what}: the walk looked at more than {limits.MaxEntriesVisited:N0} entries; narrow it");
            if ((_visited & 255) != 0) return;
            ct.ThrowIfCancellationRequested();
            if (Stopwatch.GetElapsedTime(_started) > limits.EffectiveTimeBudget)
                throw new ArgumentException($"{what}: the walk took longer than {limits.EffectiveTimeBudget.TotalSeconds:0} s; narrow it");
        }
    }

    /// <summary>A directory to walk, by its real location, which must still be inside the roots.</summary>
    private static string RealDirectory(string located, string raw, IngestRoots roots)
    {
        string real = RealPath.Resolve(located) ?? located;
        if (roots.IsUnrestricted) return real;
        foreach (string root in roots.Directories)
            if (RealPath.IsWithin(real, root)) return real;
        throw new ArgumentException($"{raw}: outside the ingest roots");
    }

    private static List<string> Glob(string full, string raw, IngestRoots roots, WalkBudget budget)
    {
        var parts = full.Split('/');
        int firstWild = Array.FindIndex(parts, p => p.IndexOfAny(['*', '?']) >= 0);
        string baseDir = string.Join('/', parts[..firstWild]);
        if (baseDir.Length == 0) baseDir = "/";
        if (!Directory.Exists(baseDir)) return [];
        string walkRoot = RealDirectory(baseDir, raw, roots);
        string rest = string.Join('/', parts[firstWild..]);
        var regex = new Regex("^" + ToRegex(rest) + "$", RegexOptions.CultureInvariant);
        bool deep = rest.Contains('/', StringComparison.Ordinal) || rest.Contains("**", StringComparison.Ordinal);
        var options = deep ? Walk : new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        var matches = new List<string>();
        foreach (var f in Directory.EnumerateFiles(walkRoot, "*", options))
        {
            budget.Visit(raw);
            string relative = Path.GetRelativePath(walkRoot, f).Replace('\\', '/');
            if (regex.IsMatch(relative) && !roots.IsExcluded(f)) matches.Add(f);
        }
        matches.Sort(StringComparer.Ordinal);
        return matches;
    }

    private static string ToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**/" matches zero or more directories; a bare "**" matches anything.
                bool slash = i + 2 < glob.Length && glob[i + 2] == '/';
                sb.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.ToString();
    }
}
