using System.Globalization;
using Search.Core.IO;

namespace Search.Indexing.Pipeline;

/// <summary>
/// A collection's index folder: numbered generation folders, a CURRENT file naming the one that serves,
/// and an owner lock held by the one process that maintains them (others keep an in-memory index).
/// </summary>
public sealed class IndexHome : IDisposable
{
    private const string CurrentFile = "CURRENT";
    private const string OwnerLock = "owner.lock";
    private readonly FileStream _lock;

    /// <summary>The folder.</summary>
    public string Directory { get; }

    private IndexHome(string directory, FileStream lockFile)
    {
        Directory = directory;
        _lock = lockFile;
    }

    /// <summary>Takes ownership of the folder; null when another process owns it.</summary>
    public static IndexHome? TryOpen(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        try
        {
            var lockFile = new FileStream(Path.Combine(directory, OwnerLock), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new IndexHome(directory, lockFile);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The serving generation recorded in CURRENT, or 0 when there is none.</summary>
    public int ReadCurrent() => ReadCurrent(Directory);

    /// <summary>The serving generation recorded in the CURRENT file of <paramref name="directory"/> (read by processes that do not own it too), or 0.</summary>
    public static int ReadCurrent(string directory)
    {
        string path = Path.Combine(directory, CurrentFile);
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>Records the serving generation atomically and durably.</summary>
    public void WriteCurrent(int generation) =>
        DurableFile.Replace(DiskFileSystem.Instance, Path.Combine(Directory, CurrentFile),
            s => s.Write(System.Text.Encoding.ASCII.GetBytes(generation.ToString(CultureInfo.InvariantCulture) + "\n")));

    /// <summary>The folder of a generation.</summary>
    public string GenerationDirectory(int generation) => GenerationDirectory(Directory, generation);

    /// <summary>The folder of generation <paramref name="generation"/> under a collection's folder.</summary>
    public static string GenerationDirectory(string directory, int generation) => Path.Combine(directory, "gen-" + generation.ToString("D6", CultureInfo.InvariantCulture));

    /// <summary>Deletes everything but the lock, CURRENT and the given generation (leftovers of an interrupted reindex).</summary>
    public void DeleteAllBut(int generation)
    {
        string keep = GenerationDirectory(generation);
        foreach (var d in System.IO.Directory.EnumerateDirectories(Directory))
            if (d != keep) System.IO.Directory.Delete(d, recursive: true);
        foreach (var f in System.IO.Directory.EnumerateFiles(Directory))
            if (Path.GetFileName(f) is not (OwnerLock or CurrentFile)) File.Delete(f);
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();
}
