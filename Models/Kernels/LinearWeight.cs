using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Search.Models.Kernels;

/// <summary>A Hugging Face Linear (W [out][in], optional bias) packed for y = x·Wᵀ + b: Wᵀ is stored in panels of 16
/// output columns, each panel's rows contiguous, so the kernel streams one panel with two vector loads per input
/// element while four x rows are broadcast against it into eight register accumulators (no horizontal sums).</summary>
public sealed unsafe class LinearWeight
{
    private const int Panel = 16;
    private const int RowChunk = 64;        // x rows kept hot in L2 while a group of panels passes over them
    private const int PanelsPerTask = 4;
    private const long ParallelThreshold = 1 << 18;

    private readonly float[] _packed;
    private readonly float[] _bias;

    private LinearWeight(int inDim, int outDim, float[] packed, float[] bias)
    {
        In = inDim;
        Out = outDim;
        _packed = packed;
        _bias = bias;
    }

    /// <summary>Input width.</summary>
    public int In { get; }

    /// <summary>Output width.</summary>
    public int Out { get; }

    /// <summary>Packs a row-major weight [outDim][inDim] and its bias (null for none).</summary>
    public static LinearWeight Pack(float[] weight, int outDim, int inDim, float[]? bias = null)
    {
        if (weight.Length != (long)outDim * inDim) throw new ArgumentException($"weight holds {weight.Length} elements, expected {outDim}×{inDim}");
        if (bias is not null && bias.Length != outDim) throw new ArgumentException($"bias holds {bias.Length} elements, expected {outDim}");
        int panels = (outDim + Panel - 1) / Panel;
        var packed = GC.AllocateUninitializedArray<float>(checked(panels * inDim * Panel), pinned: true);
        for (int p = 0; p < panels; p++)
            for (int k = 0; k < inDim; k++)
                for (int j = 0; j < Panel; j++)
                {
                    int c = p * Panel + j;
                    packed[(p * inDim + k) * Panel + j] = c < outDim ? weight[(long)c * inDim + k] : 0f;
                }
        var paddedBias = new float[panels * Panel];
        bias?.CopyTo(paddedBias, 0);
        return new LinearWeight(inDim, outDim, packed, paddedBias);
    }

    /// <summary>The weight back in its row-major [Out][In] layout, and the bias (zeros when it had none): what a device copies.</summary>
    public (float[] Weight, float[] Bias) Unpack()
    {
        var weight = new float[(long)Out * In];
        for (int c = 0; c < Out; c++)
        {
            int p = c / Panel, j = c % Panel;
            for (int k = 0; k < In; k++) weight[(long)c * In + k] = _packed[((long)p * In + k) * Panel + j];
        }
        return (weight, _bias[..Out]);
    }

    /// <summary>y[rows][Out] = x[rows][In]·Wᵀ + b.</summary>
    public void Apply(float[] x, int rows, float[] y)
    {
        if (x.Length < (long)rows * In || y.Length < (long)rows * Out)
            throw new ArgumentException($"x holds {x.Length} elements for {rows}×{In}, y {y.Length} for {rows}×{Out}");
        int rowChunks = (rows + RowChunk - 1) / RowChunk;
        int panelGroups = (Out + Panel * PanelsPerTask - 1) / (Panel * PanelsPerTask);
        int tasks = rowChunks * panelGroups;
        if ((long)rows * In * Out < ParallelThreshold || tasks == 1)
        {
            for (int t = 0; t < tasks; t++) RunTask(x, rows, y, t, panelGroups);
            return;
        }
        Parallel.For(0, tasks, t => RunTask(x, rows, y, t, panelGroups));
    }

    private void RunTask(float[] x, int rows, float[] y, int task, int panelGroups)
    {
        int r0 = task / panelGroups * RowChunk, r1 = Math.Min(rows, r0 + RowChunk);
        int p0 = task % panelGroups * PanelsPerTask, p1 = Math.Min((Out + Panel - 1) / Panel, p0 + PanelsPerTask);
        fixed (float* xp = x, yp = y, wp = _packed, bp = _bias)
        {
            var tile = stackalloc float[4 * Panel];
            for (int p = p0; p < p1; p++)
            {
                float* panel = wp + (long)p * In * Panel;
                int c0 = p * Panel, width = Math.Min(Panel, Out - c0);
                int r = r0;
                for (; r + 4 <= r1; r += 4)
                {
                    Kernel4(xp + (long)r * In, In, panel, bp + c0, tile);
                    for (int i = 0; i < 4; i++) Store(tile + i * Panel, yp + (long)(r + i) * Out + c0, width);
                }
                for (; r < r1; r++)
                {
                    Kernel1(xp + (long)r * In, In, panel, bp + c0, tile);
                    Store(tile, yp + (long)r * Out + c0, width);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* tile, float* destination, int width)
    {
        if (width == Panel)
        {
            Vector256.Store(Vector256.Load(tile), destination);
            Vector256.Store(Vector256.Load(tile + 8), destination + 8);
        }
        else for (int j = 0; j < width; j++) destination[j] = tile[j];
    }

    private static void Kernel4(float* x, int n, float* panel, float* bias, float* tile)
    {
        Vector256<float> b0 = Vector256.Load(bias), b1 = Vector256.Load(bias + 8);
        Vector256<float> a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
        float* x0 = x, x1 = x + n, x2 = x + 2 * n, x3 = x + 3 * n;
        for (int k = 0; k < n; k++)
        {
            Vector256<float> w0 = Vector256.Load(panel), w1 = Vector256.Load(panel + 8);
            panel += Panel;
            Vector256<float> v = Vector256.Create(x0[k]);
            a00 = Vector256.FusedMultiplyAdd(v, w0, a00);
            a01 = Vector256.FusedMultiplyAdd(v, w1, a01);
            v = Vector256.Create(x1[k]);
            a10 = Vector256.FusedMultiplyAdd(v, w0, a10);
            a11 = Vector256.FusedMultiplyAdd(v, w1, a11);
            v = Vector256.Create(x2[k]);
            a20 = Vector256.FusedMultiplyAdd(v, w0, a20);
            a21 = Vector256.FusedMultiplyAdd(v, w1, a21);
            v = Vector256.Create(x3[k]);
            a30 = Vector256.FusedMultiplyAdd(v, w0, a30);
            a31 = Vector256.FusedMultiplyAdd(v, w1, a31);
        }
        Vector256.Store(a00, tile);
        Vector256.Store(a01, tile + 8);
        Vector256.Store(a10, tile + 16);
        Vector256.Store(a11, tile + 24);
        Vector256.Store(a20, tile + 32);
        Vector256.Store(a21, tile + 40);
        Vector256.Store(a30, tile + 48);
        Vector256.Store(a31, tile + 56);
    }

    private static void Kernel1(float* x, int n, float* panel, float* bias, float* tile)
    {
        Vector256<float> a0 = Vector256.Load(bias), a1 = Vector256.Load(bias + 8);
        for (int k = 0; k < n; k++)
        {
            Vector256<float> v = Vector256.Create(x[k]);
            a0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(panel), a0);
            a1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(panel + 8), a1);
            panel += Panel;
        }
        Vector256.Store(a0, tile);
        Vector256.Store(a1, tile + 8);
    }
}
