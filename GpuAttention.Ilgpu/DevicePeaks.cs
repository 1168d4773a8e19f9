using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Search.GpuAttention.Ilgpu;

/// <summary>A GPU's theoretical arithmetic rates, from its architecture, multiprocessor count and clock.</summary>
/// <param name="Architecture">Compute capability, e.g. "9.0".</param>
/// <param name="Multiprocessors">Streaming multiprocessors.</param>
/// <param name="ClockMhz">The clock the driver reports (the boost clock).</param>
/// <param name="Fp32Tflops">fp32 FMA on the CUDA cores: multiprocessors × lanes × 2 × clock.</param>
/// <param name="Bf16TensorTflops">Dense bf16 on the tensor cores, or null when the architecture is not in the table.</param>
public sealed record DevicePeaks(string Architecture, int Multiprocessors, double ClockMhz, double Fp32Tflops, double? Bf16TensorTflops)
{
    /// <summary>The peaks of a CUDA accelerator (ILGPU gives its clock in MHz: 1980 on an H200); null off CUDA.</summary>
    public static DevicePeaks? Of(Accelerator accelerator) =>
        accelerator is CudaAccelerator cuda ? For(cuda.Architecture.Major, cuda.Architecture.Minor, cuda.NumMultiprocessors, cuda.ClockRate) : null;

    /// <summary>The peaks for a compute capability; per-multiprocessor rates from NVIDIA's architecture whitepapers.</summary>
    public static DevicePeaks For(int major, int minor, int multiprocessors, double clockMhz)
    {
        // fp32 lanes per multiprocessor: 64 on Volta, Turing and A100, 128 from GA10x on (Ampere consumer, Ada, Hopper, Blackwell).
        int lanes = (major, minor) switch { (7, _) => 64, (8, 0) => 64, _ => 128 };
        // Dense bf16 tensor-core FLOP per clock per multiprocessor: A100 2048, Hopper 4096 (989 TFLOP/s on an H100 SXM).
        double? tensor = (major, minor) switch { (8, 0) => 2048, (9, 0) => 4096, _ => null };
        double hz = clockMhz * 1e6;
        return new DevicePeaks($"{major}.{minor}", multiprocessors, clockMhz, multiprocessors * lanes * 2 * hz / 1e12,
            tensor is { } t ? multiprocessors * t * hz / 1e12 : null);
    }
}
