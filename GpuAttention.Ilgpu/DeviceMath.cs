using ILGPU;

namespace Search.GpuAttention.Ilgpu;

/// <summary>Scalar functions device kernels call, written in plain arithmetic so CUDA and ILGPU's CPU accelerator round alike.</summary>
public static class DeviceMath
{
    /// <summary>
    /// exp(x) for x ≤ 0, the CPU kernels' method (Cody–Waite reduction by ln 2 and the Cephes expf polynomial) so both
    /// backends round alike; 0 below the normal range and for -inf.
    /// </summary>
    public static float ExpNonPositive(float x)
    {
        if (!(x >= -87.33654f)) return 0f;
        float y = x * 1.44269504088896341f + 0.5f;
        int n = (int)y;
        if (n > y) n--; // floor for negative y
        float r = x - n * 0.693359375f;
        r -= n * -2.12194440e-4f;
        float p = 1.9875691500E-4f;
        p = p * r + 1.3981999507E-3f;
        p = p * r + 8.3334519073E-3f;
        p = p * r + 4.1665795894E-2f;
        p = p * r + 1.6666665459E-1f;
        p = p * r + 5.0000001201E-1f;
        p = p * (r * r) + (r + 1f);
        return p * Interop.IntAsFloat((uint)(n + 127) << 23);
    }

    /// <summary>1/√x for x &gt; 0: a bit-level first guess refined by three Newton steps (relative error near fp32 rounding).</summary>
    public static float InverseSqrt(float x)
    {
        float y = Interop.IntAsFloat(0x5F375A86u - (Interop.FloatAsInt(x) >> 1));
        float half = 0.5f * x;
        y *= 1.5f - half * y * y;
        y *= 1.5f - half * y * y;
        y *= 1.5f - half * y * y;
        return y;
    }
}
