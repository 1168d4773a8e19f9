namespace Search.GpuAttention.Ilgpu;

/// <summary>Chooses and opens the attention backend at start.</summary>
public static class AttentionDevices
{
    /// <summary>
    /// The backend for <paramref name="choice"/>: the ILGPU kernel on CUDA, or the CPU SIMD kernels; throws
    /// <see cref="DeviceUnavailableException"/> when CUDA was asked for and none answers.
    /// </summary>
    public static IAttentionBackend Open(DeviceChoice choice, long residentBudgetBytes = IlgpuAttentionBackend.DefaultResidentBudgetBytes) =>
        IlgpuDevice.Open(choice) is { } device ? new IlgpuAttentionBackend(device, residentBudgetBytes) : new CpuAttentionBackend();
}
