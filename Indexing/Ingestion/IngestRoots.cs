using Search.Core.IO;

namespace Search.Indexing.Ingestion;

/// <summary>
/// The directories server-side paths may be read from. A path is inside when its real location (links resolved) is
/// below a root; a document's id is then its path relative to that root, so ids never reveal the server's layout.
/// Unrestricted (the command line, reading its own user's files) keeps absolute paths as ids.
/// </summary>
public sealed class IngestRoots
{
    private readonly string[]? _roots;
    private readonly string[] _excluded;

    private IngestRoots(string[]? roots, string[]? excluded = null)
    {
        _roots = roots;
        _excluded = excluded ?? [];
    }

    /// <summary>Any path this process can read (the command line); ids are absolute paths.</summary>
    public static IngestRoots Unrestricted { get; } = new(null);

    /// <summary>No server paths at all (a service started without <c>--ingest-root</c>).</summary>
    public static IngestRoots None { get; } = new([]);

    /// <summary>
    /// Paths below these directories, except below <paramref name="excluded"/> (the service's own data directory, whose
    /// key file and store must never become documents); each root must exist, and is kept by its real location.
    /// </summary>
    public static IngestRoots Of(IEnumerable<string> directories, IEnumerable<string>? excluded = null)
    {
        var roots = new List<string>();
        foreach (string directory in directories)
        {
            string? real = Directory.Exists(directory) ? RealPath.Resolve(directory) : null;
            roots.Add(real ?? throw new ArgumentException($"ingest root {directory} is not a directory"));
        }
        var skip = new List<string>();
        foreach (string directory in excluded ?? [])
        {
            Directory.CreateDirectory(directory);
            skip.Add(RealPath.Resolve(directory) ?? Path.GetFullPath(directory));
        }
        return new([.. roots.Distinct()], [.. skip]);
    }

    /// <summary>Whether a real path lies in an excluded directory.</summary>
    public bool IsExcluded(string realPath)
    {
        foreach (string directory in _excluded)
            if (RealPath.IsWithin(realPath, directory)) return true;
        return false;
    }

    /// <summary>Whether every readable path is allowed.</summary>
    public bool IsUnrestricted => _roots is null;

    /// <summary>The roots (real paths); empty when unrestricted or none.</summary>
    public IReadOnlyList<string> Directories => _roots ?? [];

    /// <summary>
    /// Where a path named in a request points, before anything is read: absolute, or relative to the first root.
    /// Throws when no roots are configured or when the path, taken literally, is outside them (which reveals nothing
    /// about files there).
    /// </summary>
    public string Locate(string path)
    {
        if (_roots is null) return Path.GetFullPath(path);
        if (_roots.Length == 0)
            throw new ArgumentException("this service reads no files of its own: start it with --ingest-root DIR, or upload files or send NDJSON documents");
        string full = Path.IsPathRooted(path) ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(_roots[0], path));
        foreach (string root in _roots)
            if (RealPath.IsWithin(full, root)) return full;
        throw new ArgumentException($"{path}: outside the ingest roots");
    }

    /// <summary>
    /// The real location of a file to read and the document id it gets; <see cref="Extraction.ExtractionException"/>
    /// when it does not exist or really lies outside the roots (a link pointing out of them).
    /// </summary>
    public (string RealPath, string DocumentId) Resolve(string path)
    {
        string located;
        try
        {
            located = Locate(path);
        }
        catch (ArgumentException e)
        {
            throw new Extraction.ExtractionException(e.Message);
        }
        if (_roots is null) return (located, located);
        string real = RealPath.Resolve(located) ?? throw new Extraction.ExtractionException($"{path}: file not found");
        if (IsExcluded(real)) throw new Extraction.ExtractionException($"{path}: inside the service's data directory");
        foreach (string root in _roots)
            if (RealPath.IsWithin(real, root)) return (real, Path.GetRelativePath(root, real));
        throw new Extraction.ExtractionException($"{path}: outside the ingest roots");
    }
}
