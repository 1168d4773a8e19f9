using System.Runtime.InteropServices;

namespace Search.Core.IO;

/// <summary>
/// A path with every symbolic link and <c>..</c> resolved by the operating system (realpath(3)), so a containment check
/// sees where a file really is: resolving links component by component in managed code gets <c>link/..</c> wrong.
/// </summary>
public static partial class RealPath
{
    /// <summary>The resolved absolute path, or null when it does not exist (or cannot be resolved).</summary>
    public static string? Resolve(string path)
    {
        IntPtr resolved = Native(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>Whether <paramref name="path"/> (absolute, resolved) is <paramref name="directory"/> or lies below it.</summary>
    public static bool IsWithin(string path, string directory) =>
        path == directory || path.StartsWith(directory.EndsWith('/') ? directory : directory + "/", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr Native(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);
}
