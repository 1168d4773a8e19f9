using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Search.Models.Tensors;

/// <summary>A memory-mapped safetensors file: validates the header on open and converts F32/F16/BF16 tensors to fp32 on read.</summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly Dictionary<string, TensorInfo> _tensors;
    private bool _disposed;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer,
        long dataStart, Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePointer;
        _dataStart = dataStart;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file this was opened from.</summary>
    public string Path { get; }

    /// <summary>The header's <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor in the file, by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    /// <summary>Maps the file and validates its header; throws <see cref="SafetensorsFormatException"/> when it is corrupt.</summary>
    public static SafetensorsFile Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length < 8)
            throw new SafetensorsFormatException(path, $"{length} bytes is too short for the 8-byte header length");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            acquired = true;
            p += view.PointerOffset;
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(p, 8));
            if (headerLength > SafetensorsHeader.MaxHeaderBytes || (long)headerLength > length - 8)
                throw new SafetensorsFormatException(path, $"header length {headerLength} does not fit in a {length}-byte file");
            long dataStart = 8 + (long)headerLength;
            var (tensors, metadata) = SafetensorsHeader.Parse(path, new ReadOnlySpan<byte>(p + 8, (int)headerLength), length - dataStart);
            return new SafetensorsFile(path, map, view, p, dataStart, tensors, metadata);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor of this name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The header entry of a tensor; throws <see cref="KeyNotFoundException"/> naming the file when absent.</summary>
    public TensorInfo Info(string name) =>
        _tensors.TryGetValue(name, out TensorInfo? info) ? info : throw new KeyNotFoundException($"{Path} has no tensor '{name}'");

    /// <summary>Reads a tensor into a new fp32 array.</summary>
    public float[] ReadFloat32(string name)
    {
        TensorInfo info = Info(name);
        var result = new float[checked((int)info.ElementCount)];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>Reads a tensor into fp32 <paramref name="destination"/>, which must be exactly its element count.</summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        TensorInfo info = Info(name);
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"tensor '{name}' has {info.ElementCount} elements, the destination {destination.Length}");
        var bytes = new ReadOnlySpan<byte>(_base + _dataStart + info.Begin, checked((int)(info.End - info.Begin)));
        TensorConversion.ToFloat32(info, bytes, destination);
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
