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
    /// <summary>
    /// Symmetric int8 with one fp32 scale per row (head and token): 1 byte per element plus 4 per row, rounding error at
    /// most half a step (the row's largest magnitude / 254); widened as tiles are loaded. A row holding an infinity or
    /// NaN reads back as NaN throughout (fp16 would keep the infinity).
    /// </summary>
    Int8 = 3,
}
