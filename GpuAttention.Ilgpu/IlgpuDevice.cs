using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Search.GpuAttention.Ilgpu;

/// <summary>Where the device passes run: the CPU's own kernels, or CUDA through ILGPU; <c>auto</c> takes CUDA when a device answers.</summary>
public enum DeviceChoice
{
    /// <summary>CUDA when ILGPU finds a device, else the CPU.</summary>
    Auto,
    /// <summary>The CPU kernels.</summary>
    Cpu,
    /// <summary>CUDA, or an error when there is none.</summary>
    Cuda,
}

/// <summary>
/// An ILGPU context with one accelerator on it, opened and closed together: a CUDA GPU, or ILGPU's CPU accelerator
/// simulating one (groups, shared memory and barriers on threads), which is how CI runs the device kernels.
/// </summary>
public sealed class IlgpuDevice : IDisposable
{
    private readonly Context _context;

    private IlgpuDevice(Context context, Accelerator accelerator)
    {
        _context = context;
        Accelerator = accelerator;
    }

    /// <summary>The accelerator; it lives as long as this device.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>What a status says runs a pass: "cuda", or "ilgpu-cpu" for the simulator.</summary>
    public static string NameOf(Accelerator accelerator) =>
        accelerator.AcceleratorType == AcceleratorType.Cuda ? "cuda" : "ilgpu-" + accelerator.AcceleratorType.ToString().ToLowerInvariant();

    /// <summary>Parses <c>auto</c>, <c>cpu</c> or <c>cuda</c>; null for anything else.</summary>
    public static DeviceChoice? Parse(string text) => text.ToLowerInvariant() switch
    {
        "auto" => DeviceChoice.Auto,
        "cpu" => DeviceChoice.Cpu,
        "cuda" => DeviceChoice.Cuda,
        _ => null,
    };

    /// <summary>
    /// The device <paramref name="choice"/> asks for: null for the CPU (asked for, or <c>auto</c> without a GPU);
    /// <see cref="DeviceUnavailableException"/> when CUDA was asked for and none answers (no GPU, or no driver).
    /// </summary>
    public static IlgpuDevice? Open(DeviceChoice choice)
    {
        if (choice == DeviceChoice.Cpu) return null;
        IlgpuDevice? cuda;
        try
        {
            cuda = TryOpenCuda();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or CudaException or NotSupportedException)
        {
            if (choice == DeviceChoice.Cuda) throw new DeviceUnavailableException($"no CUDA device: {e.Message}", e);
            return null;
        }
        if (cuda is null && choice == DeviceChoice.Cuda) throw new DeviceUnavailableException("no CUDA device: ILGPU found no GPU with a working driver on this machine");
        return cuda;
    }

    /// <summary>The first CUDA device, or null when ILGPU finds none.</summary>
    public static IlgpuDevice? TryOpenCuda()
    {
        var context = Context.Create(builder => builder.Cuda().Math(MathMode.Fast32BitOnly).Optimize(OptimizationLevel.O2));
        var device = context.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.Cuda);
        if (device is null)
        {
            context.Dispose();
            return null;
        }
        try
        {
            return new IlgpuDevice(context, device.CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>ILGPU's CPU accelerator as one multiprocessor whose warps make up exactly one group of <paramref name="groupSize"/> threads.</summary>
    public static IlgpuDevice OpenSimulator(int groupSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 4);
        if (groupSize % 4 != 0) throw new ArgumentException($"a simulated group of {groupSize} threads is not a whole number of 4-thread warps", nameof(groupSize));
        var device = new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: groupSize / 4, numMultiprocessors: 1);
        var context = Context.Create(builder => builder.CPU(device));
        return new IlgpuDevice(context, device.CreateCPUAccelerator(context));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
    }
}

/// <summary>The device that was asked for is not on this machine.</summary>
public sealed class DeviceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
