namespace Search.GpuAttention;

/// <summary>A contiguous run of query rows (indices into the call's queries) for which block masses are wanted.</summary>
/// <param name="Start">First query row.</param>
/// <param name="Count">Number of rows.</param>
public readonly record struct RowRange(int Start, int Count);
