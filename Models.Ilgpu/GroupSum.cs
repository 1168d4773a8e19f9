using ILGPU;

namespace Search.Models.Ilgpu;

/// <summary>The row reductions of the norm kernels: one group of <see cref="Threads"/> threads per row.</summary>
internal static class GroupSum
{
    public const int Threads = 128;

    /// <summary>The sum of every thread's <paramref name="value"/>, returned to all of them; every thread of the group must call it.</summary>
    public static float Of(ArrayView<float> partial, float value, int t)
    {
        partial[t] = value;
        Group.Barrier();
        for (int s = Threads / 2; s > 0; s >>= 1)
        {
            if (t < s) partial[t] += partial[t + s];
            Group.Barrier();
        }
        float total = partial[0];
        Group.Barrier();
        return total;
    }
}
