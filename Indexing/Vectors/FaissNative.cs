using System.Reflection;
using System.Runtime.InteropServices;

namespace Search.Indexing.Vectors;

/// <summary>
/// P/Invoke declarations for <c>libfaiss_shim.so</c> (infra/native). Every call that can fail returns -1 and
/// leaves a message in <see cref="LastError"/>; <see cref="Check"/> turns that into a <see cref="VectorIndexException"/>.
/// </summary>
internal static unsafe partial class FaissNative
{
    private const string Library = "faiss_shim";
    private const string FileName = "libfaiss_shim.so";

    static FaissNative()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(FaissNative).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Another part of this assembly owns the resolver: load by full path, and the shim's soname
            // lets the loader match the bare name to the already-loaded library.
            if (Locate() is { } path) NativeLibrary.Load(path);
        }
    }

    /// <summary>Forces the static constructor, so the resolver is in place before the first call.</summary>
    public static void EnsureLoaded() => _ = simd_active();

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        string? path = Locate();
        if (path is not null) return NativeLibrary.Load(path);
        throw new VectorIndexException($"{FileName} not found next to the application or in infra/native/build; run infra/native/build.sh");
    }

    private static string? Locate()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, FileName);
        if (File.Exists(beside)) return beside;
        // Development runs from bin/ folders inside the repository: fall back to the freshly built shim.
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "infra", "native", "build", FileName);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The calling thread's last shim error.</summary>
    public static string LastError => Marshal.PtrToStringUTF8(faiss_shim_last_error()) ?? "unknown FAISS shim error";

    /// <summary>Throws the shim's message when <paramref name="rc"/> signals failure.</summary>
    public static void Check(int rc, string what)
    {
        if (rc != 0) throw new VectorIndexException($"FAISS {what} failed: {LastError}");
    }

    [LibraryImport(Library)] internal static partial IntPtr faiss_shim_last_error();
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial int faiss_shim_create(string spec, int dimension, out IntPtr handle);
    [LibraryImport(Library)] internal static partial void faiss_shim_free(IntPtr handle);
    [LibraryImport(Library)] internal static partial int faiss_shim_dimension(FaissIndexHandle handle);
    [LibraryImport(Library)] internal static partial long faiss_shim_count(FaissIndexHandle handle);
    [LibraryImport(Library)] internal static partial long faiss_shim_ntotal(FaissIndexHandle handle);
    [LibraryImport(Library)] internal static partial int faiss_shim_is_trained(FaissIndexHandle handle);
    [LibraryImport(Library)] internal static partial int faiss_shim_train(FaissIndexHandle handle, long n, float* x, int dimension);
    [LibraryImport(Library)] internal static partial int faiss_shim_add(FaissIndexHandle handle, long n, long* ids, float* x, int dimension);
    [LibraryImport(Library)] internal static partial long faiss_shim_remove(FaissIndexHandle handle, long n, long* ids);
    [LibraryImport(Library)] internal static partial int faiss_shim_search(FaissIndexHandle handle, float* query, int dimension, int k, long* ids, float* scores, out int written);
    [LibraryImport(Library)] internal static partial int faiss_shim_compact(FaissIndexHandle handle);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial int faiss_shim_set_parameter(FaissIndexHandle handle, string name, double value);
    [LibraryImport(Library)] internal static partial int faiss_shim_serialize(FaissIndexHandle handle, out IntPtr buffer, out long length);
    [LibraryImport(Library)] internal static partial void faiss_shim_free_buffer(IntPtr buffer);
    [LibraryImport(Library)] internal static partial int faiss_shim_deserialize(byte* buffer, long length, out IntPtr handle);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial int faiss_shim_write_index(FaissIndexHandle handle, string path);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial int faiss_shim_read_index_dimension(string path, out int dimension);
    [LibraryImport(Library)] internal static partial void faiss_shim_set_simd(int enabled);
    [LibraryImport(Library)] internal static partial int faiss_shim_simd_active();
    [LibraryImport(Library)] internal static partial float faiss_shim_inner_product(float* x, float* y, nuint d);
    [LibraryImport(Library)] internal static partial float faiss_shim_l2sqr(float* x, float* y, nuint d);

    private static int simd_active() => faiss_shim_simd_active();
}
