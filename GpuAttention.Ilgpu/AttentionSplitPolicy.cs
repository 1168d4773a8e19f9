namespace Search.GpuAttention.Ilgpu;

/// <summary>
/// When the device kernel splits one row tile's keys over several thread groups (split-K): only when the call has
/// fewer groups than <see cref="TargetGroups"/>, and never into parts of fewer than <see cref="MinKeys"/> keys.
/// </summary>
internal sealed record AttentionSplitPolicy(int TargetGroups, int MinKeys)
{
    /// <summary>About eight groups per multiprocessor (a group holds two warps and 32 KiB of shared memory), parts of at least 128 keys.</summary>
    public static AttentionSplitPolicy For(int multiprocessors) => new(Math.Max(1, multiprocessors) * 8, 128);
}
