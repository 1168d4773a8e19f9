using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Search.Indexing.Embeddings;

/// <summary>Vector helpers every embedder and the embeddings endpoint share: L2 normalisation, Matryoshka-style
/// truncation, and the OpenAI base64 wire form (little-endian float32).</summary>
public static class EmbeddingVectors
{
    /// <summary>Scales <paramref name="vector"/> to unit length in place; a zero vector stays zero.</summary>
    public static void Normalize(Span<float> vector)
    {
        double sum = 0;
        for (int i = 0; i < vector.Length; i++) sum += (double)vector[i] * vector[i];
        if (sum <= 0) return;
        double scale = 1 / Math.Sqrt(sum);
        for (int i = 0; i < vector.Length; i++) vector[i] = (float)(vector[i] * scale);
    }

    /// <summary>The first <paramref name="dimensions"/> components re-normalised to unit length: how Matryoshka-trained
    /// models are shortened (for other models the prefix still works, with some loss of quality).</summary>
    public static float[] Truncate(ReadOnlySpan<float> vector, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        if (dimensions > vector.Length)
            throw new ArgumentException($"dimensions {dimensions} is larger than the model's {vector.Length}");
        float[] result = vector[..dimensions].ToArray();
        Normalize(result);
        return result;
    }

    /// <summary>The vector as base64 of its little-endian float32 bytes (OpenAI's encoding_format "base64").</summary>
    public static string ToBase64(ReadOnlySpan<float> vector)
    {
        if (BitConverter.IsLittleEndian) return Convert.ToBase64String(MemoryMarshal.AsBytes(vector));
        var bytes = new byte[vector.Length * sizeof(float)];
        for (int i = 0; i < vector.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>Decodes <see cref="ToBase64"/>; throws <see cref="FormatException"/> unless the bytes are whole float32s.</summary>
    public static float[] FromBase64(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        if (bytes.Length % sizeof(float) != 0)
            throw new FormatException($"a base64 embedding of {bytes.Length} bytes is not a whole number of float32 values");
        var result = new float[bytes.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(result);
        else for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        return result;
    }
}
