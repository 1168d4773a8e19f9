using System.Numerics.Tensors;

namespace Search.Indexing.Embeddings;

/// <summary>
/// Truncated SVD of a sparse row matrix by randomized range finding (Halko, Martinsson and Tropp 2011):
/// a Gaussian sketch, power iterations with re-orthonormalisation, then the exact eigen-decomposition of
/// the small Gram matrix. Deterministic for a seed.
/// </summary>
public static class RandomizedSvd
{
    /// <summary>A sparse row: column indices and values.</summary>
    public readonly record struct SparseRow(int[] Columns, float[] Values);

    /// <summary>The top <paramref name="rank"/> right singular vectors (columns × rank, row-major) and singular values.</summary>
    public static (float[] RightVectors, double[] SingularValues) Compute(IReadOnlyList<SparseRow> rows, int columns, int rank, int seed, int powerIterations = 2, int oversample = 10)
    {
        int n = rows.Count;
        int l = Math.Min(rank + oversample, Math.Min(n, columns));
        rank = Math.Min(rank, l);
        var rng = new Random(seed);
        // Omega: columns × l Gaussian.
        var omega = new double[columns * l];
        for (int i = 0; i < omega.Length; i++) omega[i] = Gaussian(rng);
        var y = MultiplyRows(rows, omega, l, n);                  // n × l
        Orthonormalize(y, n, l);
        for (int it = 0; it < powerIterations; it++)
        {
            var z = MultiplyTransposed(rows, y, l, columns);      // columns × l
            Orthonormalize(z, columns, l);
            y = MultiplyRows(rows, z, l, n);
            Orthonormalize(y, n, l);
        }
        var zt = MultiplyTransposed(rows, y, l, columns);         // Xᵀ Q: columns × l, so B = Q ᵀX = ztᵀ
        // B Bᵀ = ztᵀ zt (l × l): its eigenvectors are B's left singular vectors.
        var gram = UpperGram(zt, columns, l);
        for (int a = 0; a < l; a++)
            for (int b = 0; b < a; b++) gram[a * l + b] = gram[b * l + a];
        var (values, vectors) = SymmetricEigen.Decompose(gram, l);
        // Right singular vectors: V = Bᵀ U Σ⁻¹ = zt U Σ⁻¹, in order of decreasing singular value.
        var order = new int[l];
        for (int i = 0; i < l; i++) order[i] = i;
        Array.Sort(order, (a, b) => values[b].CompareTo(values[a]));
        var sigma = new double[rank];
        var right = new float[columns * rank];
        for (int r = 0; r < rank; r++)
        {
            int e = order[r];
            double s = Math.Sqrt(Math.Max(values[e], 0));
            sigma[r] = s;
            if (s <= 1e-12) continue;
            var eigenvector = new double[l];
            for (int a = 0; a < l; a++) eigenvector[a] = vectors[a * l + e];
            Parallel.For(0, columns, c => right[c * rank + r] = (float)(TensorPrimitives.Dot(zt.AsSpan(c * l, l), eigenvector) / s));
        }
        return (right, sigma);
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    // rows (n × columns, sparse) times m (columns × l) → n × l.
    private static double[] MultiplyRows(IReadOnlyList<SparseRow> rows, double[] m, int l, int n)
    {
        var result = new double[n * l];
        Parallel.For(0, n, i =>
        {
            var row = rows[i];
            var target = result.AsSpan(i * l, l);
            for (int j = 0; j < row.Columns.Length; j++)
                TensorPrimitives.MultiplyAdd(m.AsSpan(row.Columns[j] * l, l), (double)row.Values[j], target, target);
        });
        return result;
    }

    // rowsᵀ (columns × n) times m (n × l) → columns × l; each worker sums its share of rows, then the shares add up.
    private static double[] MultiplyTransposed(IReadOnlyList<SparseRow> rows, double[] m, int l, int columns)
    {
        int workers = Math.Max(1, Math.Min(Environment.ProcessorCount, rows.Count / 1000));
        var shares = new double[workers][];
        Parallel.For(0, workers, w =>
        {
            var result = new double[columns * l];
            for (int i = w; i < rows.Count; i += workers)
            {
                var row = rows[i];
                var source = m.AsSpan(i * l, l);
                for (int j = 0; j < row.Columns.Length; j++)
                {
                    var target = result.AsSpan(row.Columns[j] * l, l);
                    TensorPrimitives.MultiplyAdd(source, (double)row.Values[j], target, target);
                }
            }
            shares[w] = result;
        });
        for (int w = 1; w < workers; w++) TensorPrimitives.Add(shares[0], shares[w], shares[0]);
        return shares[0];
    }

    // Orthonormalises the l columns of a rows × l row-major matrix by Cholesky QR, twice (CholeskyQR2):
    // both steps stream over rows, so they stay in cache and split across cores, unlike Gram–Schmidt's
    // column sweeps. A rank-deficient Gram matrix is regularised slightly rather than failing.
    private static void Orthonormalize(double[] m, int rowCount, int l)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            var gram = UpperGram(m, rowCount, l);
            double trace = 0;
            for (int a = 0; a < l; a++) trace += gram[a * l + a];
            var chol = Cholesky(gram, l, 1e-12 * Math.Max(trace, 1e-300) / l);
            // Row r of Q solves Qᵣ · Rᵀ... i.e. Q = M R⁻¹ with R = Lᵀ: forward substitution on each row.
            Parallel.For(0, rowCount, r =>
            {
                var row = m.AsSpan(r * l, l);
                for (int c = 0; c < l; c++)
                {
                    double v = row[c];
                    for (int p = 0; p < c; p++) v -= row[p] * chol[c * l + p];
                    row[c] = v / chol[c * l + c];
                }
            });
        }
    }

    // Rows summed per stripe: a fixed count, added in order, so the sum never depends on the cores or on scheduling.
    private const int GramStripes = 8;

    // The upper triangle of MᵀM for a rows × l row-major M, rows split across cores by stripe.
    private static double[] UpperGram(double[] m, int rowCount, int l)
    {
        var stripes = new double[GramStripes][];
        Parallel.For(0, GramStripes, stripe =>
        {
            var local = new double[l * l];
            for (int r = stripe; r < rowCount; r += GramStripes)
            {
                var row = m.AsSpan(r * l, l);
                for (int a = 0; a < l; a++)
                {
                    double va = row[a];
                    if (va == 0) continue;
                    var target = local.AsSpan(a * l + a, l - a);
                    TensorPrimitives.MultiplyAdd(row[a..], va, target, target);
                }
            }
            stripes[stripe] = local;
        });
        for (int stripe = 1; stripe < GramStripes; stripe++) TensorPrimitives.Add(stripes[0], stripes[stripe], stripes[0]);
        return stripes[0];
    }

    // Lower-triangular L with L·Lᵀ = G (upper triangle of G given), with a diagonal shift when needed.
    private static double[] Cholesky(double[] g, int l, double shift)
    {
        var lower = new double[l * l];
        for (int i = 0; i < l; i++)
            for (int j = 0; j <= i; j++)
            {
                double sum = g[j * l + i]; // G is filled in its upper triangle: G[j][i] with j ≤ i
                for (int k = 0; k < j; k++) sum -= lower[i * l + k] * lower[j * l + k];
                if (i == j) lower[i * l + i] = Math.Sqrt(Math.Max(sum, 0) + shift);
                else lower[i * l + j] = sum / lower[j * l + j];
            }
        return lower;
    }
}

/// <summary>Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.</summary>
public static class SymmetricEigen
{
    /// <summary>Eigenvalues and eigenvectors (column e of the row-major n × n result is vector e).</summary>
    public static (double[] Values, double[] Vectors) Decompose(double[] matrix, int n)
    {
        var a = (double[])matrix.Clone();
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
            if (off < 1e-22) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
        }
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = a[i * n + i];
        return (values, v);
    }
}
