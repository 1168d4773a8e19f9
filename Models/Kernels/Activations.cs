using System.Runtime.Intrinsics;

namespace Search.Models.Kernels;

/// <summary>The feed-forward activations, vectorized and split across cores for large buffers: erf-GELU for BERT,
/// the SiLU-gated product of Llama's SwiGLU.</summary>
public static class Activations
{
    private const int Chunk = 1 << 15;

    // Abramowitz & Stegun 7.1.26: |error| ≤ 1.5e-7 on erf, far below the fp32 rounding of the activations around it.
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /// <summary>x ← x·Φ(x) = 0.5·x·(1 + erf(x/√2)) over the first <paramref name="length"/> elements (HF "gelu").</summary>
    public static void Gelu(float[] x, int length) => ForChunks(length, (start, end) => GeluRange(x.AsSpan(start, end - start)));

    /// <summary>x ← x·tanh-approximated Φ(x) (HF "gelu_new" / "gelu_pytorch_tanh").</summary>
    public static void GeluTanh(float[] x, int length) => ForChunks(length, (start, end) =>
    {
        for (int i = start; i < end; i++)
        {
            float v = x[i];
            x[i] = 0.5f * v * (1f + MathF.Tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
        }
    });

    /// <summary>gate ← silu(gate)·up = gate/(1 + e^(−gate))·up over the first <paramref name="length"/> elements (SwiGLU).</summary>
    public static void SiluGate(float[] gate, float[] up, int length) => ForChunks(length, (start, end) =>
    {
        Span<float> g = gate.AsSpan(start, end - start);
        ReadOnlySpan<float> u = up.AsSpan(start, end - start);
        int i = 0;
        for (; i + 8 <= g.Length; i += 8)
        {
            Vector256<float> v = Vector256.Create(g.Slice(i, 8));
            (v / (Vector256<float>.One + Vector256.Exp(-v)) * Vector256.Create(u.Slice(i, 8))).CopyTo(g.Slice(i, 8));
        }
        for (; i < g.Length; i++) g[i] = g[i] / (1f + MathF.Exp(-g[i])) * u[i];
    });

    /// <summary>The error function to about 1e-15 (.NET has none); the reference the fast GELU is tested against.</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        if (a < 2.5)
        {
            // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1))
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 80; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return Math.CopySign(sum * 1.1283791670955126, x);
        }
        if (a > 6) return Math.CopySign(1.0, x);
        // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated from the tail
        double f = 0;
        for (int k = 60; k >= 1; k--) f = k / 2.0 / (a + f);
        return Math.CopySign(1.0 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / (a + f), x);
    }

    private static void GeluRange(Span<float> x)
    {
        var half = Vector256.Create(0.5f);
        var invSqrt2 = Vector256.Create(0.70710678f);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            Vector256<float> v = Vector256.Create(x.Slice(i, 8));
            Vector256<float> a = Vector256.Abs(v) * invSqrt2;
            Vector256<float> t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create(P) * a);
            Vector256<float> poly = t * (Vector256.Create(A1) + t * (Vector256.Create(A2) + t * (Vector256.Create(A3) + t * (Vector256.Create(A4) + t * Vector256.Create(A5)))));
            Vector256<float> erfAbs = Vector256<float>.One - poly * Vector256.Exp(-(a * a));
            Vector256<float> erf = Vector256.CopySign(erfAbs, v);
            (half * v * (Vector256<float>.One + erf)).CopyTo(x.Slice(i, 8));
        }
        for (; i < x.Length; i++)
        {
            float v = x[i], a = MathF.Abs(v) * 0.70710678f;
            float t = 1f / (1f + P * a);
            float erfAbs = 1f - t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * MathF.Exp(-a * a);
            x[i] = 0.5f * v * (1f + MathF.CopySign(erfAbs, v));
        }
    }

    private static void ForChunks(int length, Action<int, int> body)
    {
        int chunks = (length + Chunk - 1) / Chunk;
        if (chunks <= 1)
        {
            if (length > 0) body(0, length);
            return;
        }
        Parallel.For(0, chunks, c => body(c * Chunk, Math.Min(length, (c + 1) * Chunk)));
    }
}
