using ILGPU;
using ILGPU.Runtime;

namespace Search.GpuAttention.Ilgpu;

/// <summary>A device buffer reused across calls, grown (never shrunk) when a call needs more.</summary>
public sealed class DeviceArray<T>(Accelerator accelerator) : IDisposable where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;

    /// <summary>A view of at least <paramref name="length"/> elements (at least one, so kernels always get a valid view).</summary>
    public ArrayView<T> Reserve(long length)
    {
        long needed = Math.Max(1, length);
        if (_buffer is null || _buffer.Length < needed)
        {
            _buffer?.Dispose();
            _buffer = accelerator.Allocate1D<T>(Math.Max(needed, (_buffer?.Length ?? 0) * 2));
        }
        return _buffer.View;
    }

    /// <summary>Copies <paramref name="data"/> to the front of the buffer and returns the whole view.</summary>
    public ArrayView<T> Upload(ReadOnlySpan<T> data) => Upload(data, data.Length);

    /// <summary>Copies <paramref name="data"/> to the front of a view of at least <paramref name="length"/> elements; the rest is left as it is.</summary>
    public ArrayView<T> Upload(ReadOnlySpan<T> data, long length)
    {
        var view = Reserve(Math.Max(length, data.Length));
        HostCopy.ToDevice(view, data);
        return view;
    }

    /// <inheritdoc />
    public void Dispose() => _buffer?.Dispose();
}
