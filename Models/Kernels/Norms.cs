namespace Search.Models.Kernels;

/// <summary>Row-wise LayerNorm (BERT) and RMSNorm (Llama) over [rows][width] buffers; statistics in double.</summary>
public static class Norms
{
    /// <summary>y = (x − mean) / sqrt(var + eps) · weight + bias per row; in place when x and y are the same.</summary>
    public static void LayerNorm(ReadOnlySpan<float> x, int rows, int width, float[] weight, float[] bias, double eps, Span<float> y)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * width, width);
            double mean = 0, var = 0;
            foreach (float v in row) mean += v;
            mean /= width;
            foreach (float v in row) var += (v - mean) * (v - mean);
            float inv = (float)(1.0 / Math.Sqrt(var / width + eps)), m = (float)mean;
            Span<float> o = y.Slice(r * width, width);
            for (int i = 0; i < width; i++) o[i] = (row[i] - m) * inv * weight[i] + bias[i];
        }
    }

    /// <summary>y = x / sqrt(mean(x²) + eps) · weight per row.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, int rows, int width, float[] weight, double eps, Span<float> y)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * width, width);
            double squares = 0;
            foreach (float v in row) squares += (double)v * v;
            float inv = (float)(1.0 / Math.Sqrt(squares / width + eps));
            Span<float> o = y.Slice(r * width, width);
            for (int i = 0; i < width; i++) o[i] = row[i] * inv * weight[i];
        }
    }
}
