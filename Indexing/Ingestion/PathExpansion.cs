using System.Text;
using System.Text.RegularExpressions;
using Search.Indexing.Extraction;

namespace Search.Indexing.Ingestion;

/// <summary>Expands the paths a bulk request names: plain files, directories (every supported file below them) and globs (*, ?, **).</summary>
public static class PathExpansion
{
    /// <summary>The files named, in a stable order without repeats. A plain path that does not exist is kept, so that its item fails with a clear error.</summary>
    public static List<string> Expand(IEnumerable<string> pathsOrGlobs, ExtractorRegistry registry)
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string p)
        {
            if (seen.Add(p)) result.Add(p);
        }
        foreach (var raw in pathsOrGlobs)
        {
            if (string.IsNullOrWhiteSpace(raw)) continue;
            string expanded = raw.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), raw[2..]) : raw;
            if (expanded.IndexOfAny(['*', '?']) >= 0)
            {
                foreach (var f in Glob(expanded)) Add(f);
            }
            else if (Directory.Exists(expanded))
            {
                var files = Directory.EnumerateFiles(Path.GetFullPath(expanded), "*", SearchOption.AllDirectories)
                    .Where(f => registry.Supports(Path.GetExtension(f).ToLowerInvariant())).ToList();
                files.Sort(StringComparer.Ordinal);
                foreach (var f in files) Add(f);
            }
            else
            {
                Add(Path.GetFullPath(expanded));
            }
        }
        return result;
    }

    private static List<string> Glob(string pattern)
    {
        string full = Path.GetFullPath(pattern);
        var parts = full.Split('/');
        int firstWild = Array.FindIndex(parts, p => p.IndexOfAny(['*', '?']) >= 0);
        string baseDir = string.Join('/', parts[..firstWild]);
        if (baseDir.Length == 0) baseDir = "/";
        if (!Directory.Exists(baseDir)) return [];
        string rest = string.Join('/', parts[firstWild..]);
        var regex = new Regex("^" + ToRegex(rest) + "$", RegexOptions.CultureInvariant);
        bool deep = rest.Contains('/', StringComparison.Ordinal) || rest.Contains("**", StringComparison.Ordinal);
        var matches = new List<string>();
        foreach (var f in Directory.EnumerateFiles(baseDir, "*", deep ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly))
        {
            string relative = Path.GetRelativePath(baseDir, f).Replace('\\', '/');
            if (regex.IsMatch(relative)) matches.Add(f);
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
