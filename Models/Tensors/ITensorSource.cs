namespace Search.Models.Tensors;

/// <summary>Where a model's named tensors are read from: safetensors files, or the initializers of an ONNX graph.</summary>
public interface ITensorSource
{
    /// <summary>Whether the source holds this tensor.</summary>
    bool Contains(string name);

    /// <summary>Reads a tensor as fp32, checking its shape when <paramref name="shape"/> is given.</summary>
    float[] Read(string name, params int[] shape);
}
