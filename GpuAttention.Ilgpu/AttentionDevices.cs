using ILGPU.Runtime.Cuda;

namespace Search.GpuAttention.Ilgpu;

/// <summary>Where attention runs: the CPU SIMD kernels, or CUDA through ILGPU; <c>auto</c> takes CUDA when a device answers.</summary>
public enum AttentionDeviceChoice
{
    /// <summary>CUDA when ILGPU finds a device, else the CPU.</summary>
    Auto,
    /// <summary>The CPU SIMD kernels.</summary>
    Cpu,
    /// <summary>CUDA, or an error when there is none.</summary>
    Cuda,
}

/// <summary>Chooses and opens the attention backend at start, and says what it found.</summary>
public static class AttentionDevices
{
    /// <summary>Parses <c>auto</c>, <c>cpu</c> or <c>cuda</c>; null for anything else.</summary>
    public static AttentionDeviceChoice? Parse(string text) => text.ToLowerInvariant() switch
    {
        "auto" => AttentionDeviceChoice.Auto,
        "cpu" => AttentionDeviceChoice.Cpu,
        "cuda" => AttentionDeviceChoice.Cuda,
        _ => null,
    };

    /// <summary>
    /// The backend for <paramref name="choice"/>; throws <see cref="AttentionDeviceUnavailableException"/> when CUDA was
    /// asked for and none answers (no GPU, or no driver).
    /// </summary>
    public static IAttentionBackend Open(AttentionDeviceChoice choice, long residentBudgetBytes = IlgpuAttentionBackend.DefaultResidentBudgetBytes)
    {
        if (choice == AttentionDeviceChoice.Cpu) return new CpuAttentionBackend();
        IlgpuAttentionBackend? cuda;
        try
        {
            cuda = IlgpuAttentionBackend.TryCreateCuda(residentBudgetBytes);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or CudaException or NotSupportedException)
        {
            if (choice == AttentionDeviceChoice.Cuda) throw new AttentionDeviceUnavailableException($"no CUDA device: {e.Message}", e);
            return new CpuAttentionBackend();
        }
        if (cuda is not null) return cuda;
        if (choice == AttentionDeviceChoice.Cuda) throw new AttentionDeviceUnavailableException("no CUDA device: ILGPU found no GPU with a working driver on this machine");
        return new CpuAttentionBackend();
    }
}

/// <summary>The attention device that was asked for is not on this machine.</summary>
public sealed class AttentionDeviceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
