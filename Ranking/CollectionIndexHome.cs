using System.Globalization;
using Search.Indexing.Lexical;

namespace Search.Ranking;

/// <summary>
/// A collection's index folder: numbered generation folders, a CURRENT file naming the one that serves,
/// and an owner lock held by the one process that maintains them (others keep an in-memory index).
/// </summary>
public sealed class CollectionIndexHome : IDisposable
{
    private const string CurrentFile = "CURRENT";
    private const string OwnerLock = "owner.lock";
    private readonly FileStream _lock;

    /// <summary>The folder.</summary>
    public string Directory { get; }

    private CollectionIndexHome(string directory, FileStream lockFile)
    {
        Directory = directory;
        _lock = lockFile;
    }

    /// <summary>Takes ownership of the folder; null when another process owns it.</summary>
    public static CollectionIndexHome? TryOpen(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        try
        {
            var lockFile = new FileStream(Path.Combine(directory, OwnerLock), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new CollectionIndexHome(directory, lockFile);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The serving generation recorded in CURRENT, or 0 when there is none.</summary>
    public int ReadCurrent()
    {
        string path = Path.Combine(Directory, CurrentFile);
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0;
    }

    /// <summary>Records the serving generation atomically and durably (write, fsync, rename, fsync the folder).</summary>
    public void WriteCurrent(int generation)
    {
        string temp = Path.Combine(Directory, CurrentFile + ".tmp");
        var fs = DiskFileSystem.Instance;
        fs.WriteDurably(temp, s => s.Write(System.Text.Encoding.ASCII.GetBytes(generation.ToString(CultureInfo.InvariantCulture) + "\n")));
        fs.Rename(temp, Path.Combine(Directory, CurrentFile));
        fs.SyncDirectory(Directory);
    }

    /// <summary>The folder of a generation.</summary>
    public string GenerationDirectory(int generation) => Path.Combine(Directory, "gen-" + generation.ToString("D6", CultureInfo.InvariantCulture));

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
