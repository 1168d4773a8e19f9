using ILGPU;
using ILGPU.Runtime;

namespace Search.GpuAttention.Ilgpu;

/// <summary>
/// Copies between host memory and device views with the host memory pinned for the copy: ILGPU's copies take a raw
/// address of the host memory, which a garbage collection on another thread could otherwise move mid-copy (a rare,
/// load-dependent corruption of whatever was copied).
/// </summary>
public static class HostCopy
{
    /// <summary>Copies <paramref name="source"/> to the front of <paramref name="target"/>.</summary>
    public static unsafe void ToDevice<T>(ArrayView<T> target, ReadOnlySpan<T> source) where T : unmanaged
    {
        if (source.IsEmpty) return;
        fixed (T* pinned = source) target.SubView(0, source.Length).CopyFromCPU(ref *pinned, source.Length);
    }

    /// <summary>Copies the front of <paramref name="source"/> into <paramref name="target"/>.</summary>
    public static unsafe void ToHost<T>(ArrayView<T> source, Span<T> target) where T : unmanaged
    {
        if (target.IsEmpty) return;
        fixed (T* pinned = target) source.SubView(0, target.Length).CopyToCPU(ref *pinned, target.Length);
    }
}
