namespace Search.GpuAttention;

/// <summary>Which elements of a head vector RoPE rotates together.</summary>
public enum RotaryPairing : byte
{
    /// <summary>Llama / Hugging Face "rotate_half": element i pairs with i + headDim/2.</summary>
    RotateHalf = 0,
    /// <summary>GPT-J / original RoFormer: element 2i pairs with 2i + 1.</summary>
    Interleaved = 1,
}
