namespace Search.Models.Tensors;

/// <summary>A safetensors file whose header or data section is malformed, truncated or inconsistent.</summary>
public sealed class SafetensorsFormatException(string path, string problem)
    : Exception($"{path}: not a valid safetensors file: {problem}")
{
    /// <summary>The file that failed to load.</summary>
    public string Path { get; } = path;
}
