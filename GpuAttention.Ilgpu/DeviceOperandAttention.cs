using ILGPU;

namespace Search.GpuAttention.Ilgpu;

/// <summary>Queries already on the device, head-major, and the device buffer the output goes to, token-major.</summary>
internal readonly record struct DeviceOperands(ArrayView<float> Queries, ArrayView<float> Output);

/// <summary>
/// <see cref="IlgpuAttentionBackend"/> over a decoder pass's device-resident operands (see
/// <see cref="IlgpuAttentionBackend.OnDeviceOperands"/>): the same plans, without the queries' upload and the output's download.
/// </summary>
internal sealed class DeviceOperandAttention(IlgpuAttentionBackend backend, DeviceOperands operands) : IAttentionBackend
{
    public string Name => backend.Name;

    public void Dense(AttentionInput input, bool causal, float[] output) => backend.Execute(AttentionPlan.Dense(input, causal, output), output, operands);

    public BlockMasses? BlockSparse(AttentionInput input, BlockLayout layout, float[]? output, RowRange? massRows = null) =>
        backend.Execute(AttentionPlan.BlockSparse(input, layout, output, massRows), output, operands);

    public BlockMasses? QueryAgainstCache(CachedContext context, AttentionInput queryBlock, float[]? output, RowRange? massRows = null) =>
        backend.Execute(AttentionPlan.QueryAgainstCache(context, queryBlock, output, massRows), output, operands);
}
