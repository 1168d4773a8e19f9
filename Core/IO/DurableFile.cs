namespace Search.Core.IO;

/// <summary>Replaces a file so that a crash leaves the old content or the new, never a mix: a temporary file forced to disk, renamed over the old one, the directory forced too.</summary>
public static class DurableFile
{
    /// <summary>Writes <paramref name="path"/> with what <paramref name="write"/> writes.</summary>
    public static void Replace(IDurableFileSystem fs, string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        string temp = full + ".tmp";
        try
        {
            fs.WriteDurably(temp, write);
            fs.Rename(temp, full);
        }
        catch
        {
            fs.Delete(temp);
            throw;
        }
        fs.SyncDirectory(directory);
    }
}
