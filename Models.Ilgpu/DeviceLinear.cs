using ILGPU;
using ILGPU.Runtime;
using Search.GpuAttention.Ilgpu;
using Search.Models.Kernels;

namespace Search.Models.Ilgpu;

/// <summary>A Linear in device memory: weight [Out][In] row-major and bias [Out] (zeros when the layer has none).</summary>
internal sealed record DeviceLinear(ArrayView<float> Weight, ArrayView<float> Bias, int In, int Out);

/// <summary>Device tensors copied once and freed together.</summary>
internal sealed class DeviceTensors(Accelerator accelerator) : IDisposable
{
    private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> _buffers = [];

    /// <summary>A copy of <paramref name="data"/> on the device.</summary>
    public ArrayView<float> Copy(float[] data)
    {
        var buffer = accelerator.Allocate1D<float>(data.Length);
        _buffers.Add(buffer);
        HostCopy.ToDevice(buffer.View, data.AsSpan());
        return buffer.View;
    }

    /// <summary>Linears that read the same input, stacked along the output so one product computes them all.</summary>
    public DeviceLinear Linear(params LinearWeight[] parts)
    {
        int inDim = parts[0].In, outDim = 0;
        foreach (var part in parts)
        {
            if (part.In != inDim) throw new ArgumentException("stacked linears must read the same input width", nameof(parts));
            outDim += part.Out;
        }
        var weight = new float[(long)outDim * inDim];
        var bias = new float[outDim];
        int row = 0;
        foreach (var part in parts)
        {
            var (w, b) = part.Unpack();
            w.CopyTo(weight, (long)row * inDim);
            b.CopyTo(bias, row);
            row += part.Out;
        }
        return new DeviceLinear(Copy(weight), Copy(bias), inDim, outDim);
    }

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }
}

/// <summary>The loaded matrix-product kernel of one accelerator: y[rows][Out] = x[rows][In]·Wᵀ + b, GELU fused when asked.</summary>
internal sealed class DeviceMatMul
{
    private readonly Action<KernelConfig, GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _kernel;

    public DeviceMatMul(Accelerator accelerator)
    {
        if (accelerator.MaxNumThreadsPerGroup < MatMulKernel.Threads)
            throw new NotSupportedException($"the device runs groups of at most {accelerator.MaxNumThreadsPerGroup} threads; the matrix product needs {MatMulKernel.Threads}");
        _kernel = accelerator.LoadStreamKernel<GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(MatMulKernel.Gemm);
    }

    public void Apply(int rows, ArrayView<float> x, DeviceLinear linear, ArrayView<float> y, bool gelu = false)
    {
        int tilesN = (linear.Out + MatMulKernel.Tile - 1) / MatMulKernel.Tile;
        int tilesM = (rows + MatMulKernel.Tile - 1) / MatMulKernel.Tile;
        var args = new GemmArgs { M = rows, N = linear.Out, K = linear.In, TilesN = tilesN, Gelu = gelu ? 1 : 0 };
        _kernel(new KernelConfig(tilesM * tilesN, MatMulKernel.Threads), args, x, linear.Weight, linear.Bias, y);
    }
}
