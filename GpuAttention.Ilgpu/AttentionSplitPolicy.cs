namespace Search.GpuAttention.Ilgpu;

/// <summary>
/// When the device kernel splits one row tile's keys over several thread groups (split-K): only when the call has
/// fewer groups than <see cref="TargetGroups"/>, and never into parts of fewer than <see cref="MinKeys"/> keys.
/// </summary>
internal sealed record AttentionSplitPolicy(int TargetGroups, int MinKeys)
{
    /// <summary>
    /// Eight groups per multiprocessor, about one more than fit at once (a group holds two warps and 32 KiB of shared
    /// memory), so a second wave fills the gaps; parts of at least 128 keys.
    /// </summary>
    public static AttentionSplitPolicy For(int multiprocessors) => new(Math.Max(1, multiprocessors) * 8, 128);
}
