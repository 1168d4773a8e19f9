using System.Runtime.InteropServices;

namespace Search.Core.IO;

/// <summary>
/// The file operations a durable write is made of (index commits, saved vectors, checkpoints). Tests substitute an
/// implementation that fails at a chosen step (as Lucene's mock directory does) to prove every interrupted write
/// leaves the last one readable.
/// </summary>
public interface IDurableFileSystem
{
    /// <summary>Creates (or replaces) a file with what <paramref name="write"/> writes, then forces it to disk.</summary>
    void WriteDurably(string path, Action<Stream> write);

    /// <summary>Atomically renames a file over another.</summary>
    void Rename(string from, string to);

    /// <summary>Forces a directory's entries (creations, renames) to disk.</summary>
    void SyncDirectory(string directory);

    /// <summary>Deletes a file if it exists.</summary>
    void Delete(string path);
}

/// <summary>The real file system, with fsync of files and directories.</summary>
public sealed partial class DiskFileSystem : IDurableFileSystem
{
    /// <summary>The shared instance.</summary>
    public static DiskFileSystem Instance { get; } = new();

    /// <inheritdoc />
    public void WriteDurably(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        write(stream);
        stream.Flush(flushToDisk: true);
    }

    /// <inheritdoc />
    public void Rename(string from, string to) => File.Move(from, to, overwrite: true);

    /// <inheritdoc />
    public void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // elsewhere rename is durable on its own
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <inheritdoc />
    public void Delete(string path)
    {
        try { File.Delete(path); } catch (DirectoryNotFoundException) { }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
