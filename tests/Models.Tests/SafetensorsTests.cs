using System.Buffers.Binary;
using System.Text;
using Search.Models.Tensors;

namespace Search.Models.Tests;

public class SafetensorsTests
{
    [Theory]
    [InlineData("f32", TensorDType.F32)]
    [InlineData("f16", TensorDType.F16)]
    [InlineData("bf16", TensorDType.BF16)]
    public void Reads_every_float_dtype_to_fp32_exactly(string name, TensorDType dtype)
    {
        using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(FixtureData.Root, "dtypes.safetensors"));
        float[] expected = [.. FixtureData.Tokens.GetProperty("dtypes").GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble())];
        Assert.Equal(dtype, file.Info(name).DType);
        Assert.Equal(expected, file.ReadFloat32(name));
    }

    [Fact]
    public void Sharded_weights_resolve_names_across_files_and_keep_the_metadata()
    {
        using ModelWeights weights = ModelWeights.Open(FixtureData.LlamaDirectory);
        Assert.Equal(TensorDType.BF16, weights.Info("model.embed_tokens.weight").DType);
        Assert.Equal(TensorDType.F16, weights.Info("lm_head.weight").DType);
        Assert.Equal(TensorDType.F32, weights.Info("model.norm.weight").DType);
        Assert.Throws<InvalidDataException>(() => weights.Read("model.norm.weight", 3));
        using SafetensorsFile single = SafetensorsFile.Open(Path.Combine(FixtureData.BertDirectory, "model.safetensors"));
        Assert.Equal("pt", single.Metadata["format"]);
    }

    [Fact]
    public void Integer_tensors_are_listed_but_not_converted_to_floats()
    {
        // old BERT checkpoints carry an I64 embeddings.position_ids buffer next to the weights
        using var dir = new TempDirectory();
        string path = Write(dir, File(null, """{"embeddings.position_ids": {"dtype": "I64", "shape": [1, 2], "data_offsets": [0, 16]}}""", dataBytes: 16));
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal(TensorDType.I64, file.Info("embeddings.position_ids").DType);
        Assert.Throws<NotSupportedException>(() => file.ReadFloat32("embeddings.position_ids"));
        Assert.Throws<KeyNotFoundException>(() => file.Info("missing"));
    }

    [Fact]
    public void Rejects_a_file_too_short_for_the_length_prefix()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path)).Message);
    }

    [Fact]
    public void Rejects_a_header_length_beyond_the_file()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, File(1000, "{}"));
        Assert.Contains("header length", Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path)).Message);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"a\": {\"dtype\": \"Q7\", \"shape\": [1], \"data_offsets\": [0, 4]}}", "unknown dtype")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", "invalid dimension")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", "data_offsets")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", "out of order")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]}}", "truncated")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 8]}}", "needs 4")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [2, 6]}}", "overlap")]
    public void Rejects_corrupt_headers_with_a_clear_message(string header, string problem)
    {
        using var dir = new TempDirectory();
        string path = Write(dir, File(null, header, dataBytes: 8));
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(problem, e.Message);
        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void Rejects_a_truncated_copy_of_a_real_model()
    {
        using var dir = new TempDirectory();
        byte[] whole = System.IO.File.ReadAllBytes(Path.Combine(FixtureData.BertDirectory, "model.safetensors"));
        string path = Write(dir, whole[..(whole.Length - 100)]);
        Assert.Contains("truncated", Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path)).Message);
    }

    private static byte[] File(long? declaredLength, string header, int dataBytes = 0)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(declaredLength ?? json.Length));
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static string Write(TempDirectory dir, byte[] bytes)
    {
        string path = Path.Combine(dir.Path, "model.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }
}
