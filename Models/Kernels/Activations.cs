namespace Search.Models.Kernels;

/// <summary>The feed-forward activations: exact (erf) GELU for BERT, SiLU-gated product for Llama's SwiGLU.</summary>
public static class Activations
{
    /// <summary>x ← x·Φ(x) = 0.5·x·(1 + erf(x/√2)) in place (HF "gelu").</summary>
    public static void Gelu(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            x[i] = (float)(0.5 * v * (1.0 + Erf(v * 0.7071067811865476)));
        }
    }

    /// <summary>x ← x·tanh-approximated Φ(x) in place (HF "gelu_new" / "gelu_pytorch_tanh").</summary>
    public static void GeluTanh(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            x[i] = (float)(0.5 * v * (1.0 + Math.Tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
        }
    }

    /// <summary>gate ← silu(gate) · up elementwise (SwiGLU).</summary>
    public static void SiluGate(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>The error function to about 1e-15 (.NET has none): Taylor series near 0, continued fraction for erfc beyond.</summary>
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
        // erfc(a) = exp(−a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …)))), evaluated from the tail (Lentz not needed at this depth)
        double f = 0;
        for (int k = 60; k >= 1; k--) f = k / 2.0 / (a + f);
        double erfc = Math.Exp(-a * a) / Math.Sqrt(Math.PI) / (a + f);
        return Math.CopySign(1.0 - erfc, x);
    }
}
