namespace Search.Models.Tensors;

/// <summary>One tensor's entry in a safetensors header: element type, shape and byte range in the data section.</summary>
public sealed record TensorInfo(string Name, TensorDType DType, IReadOnlyList<int> Shape, long Begin, long End)
{
    /// <summary>The number of elements (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }
}
