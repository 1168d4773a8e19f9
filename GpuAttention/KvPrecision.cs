namespace Search.GpuAttention;

/// <summary>How keys and values are stored; compute is always fp32.</summary>
public enum KvPrecision : byte
{
    /// <summary>IEEE single precision, 4 bytes per element.</summary>
    Float32 = 0,
    /// <summary>IEEE half precision (<see cref="Half"/>), 2 bytes per element.</summary>
    Float16 = 1,
    /// <summary>bfloat16 (the top half of a float), 2 bytes per element.</summary>
    BFloat16 = 2,
}
