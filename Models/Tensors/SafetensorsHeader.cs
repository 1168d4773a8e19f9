using System.Text.Json;

namespace Search.Models.Tensors;

/// <summary>Parses and validates a safetensors JSON header against the size of the data section.</summary>
internal static class SafetensorsHeader
{
    // The reference implementation refuses headers above 100 MB; a bigger one means a corrupt length.
    public const long MaxHeaderBytes = 100_000_000;

    public static (Dictionary<string, TensorInfo> Tensors, Dictionary<string, string> Metadata) Parse(
        string path, ReadOnlySpan<byte> json, long dataLength)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json.ToArray()); }
        catch (JsonException e) { throw new SafetensorsFormatException(path, "the header is not JSON: " + e.Message); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(path, "the header is not a JSON object");
            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object)
                        throw new SafetensorsFormatException(path, "__metadata__ is not an object");
                    foreach (JsonProperty m in p.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                tensors[p.Name] = ParseTensor(path, p.Name, p.Value, dataLength);
            }
            CheckNoOverlap(path, tensors.Values);
            return (tensors, metadata);
        }
    }

    private static TensorInfo ParseTensor(string path, string name, JsonElement e, long dataLength)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, $"tensor '{name}' is not an object");
        if (!e.TryGetProperty("dtype", out JsonElement dt) || dt.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException(path, $"tensor '{name}' has no dtype");
        if (!TensorDTypes.TryParse(dt.GetString()!, out TensorDType dtype))
            throw new SafetensorsFormatException(path, $"tensor '{name}' has unknown dtype '{dt.GetString()}'");
        if (!e.TryGetProperty("shape", out JsonElement sh) || sh.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException(path, $"tensor '{name}' has no shape");
        var shape = new List<int>();
        long count = 1;
        foreach (JsonElement d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int n) || n < 0)
                throw new SafetensorsFormatException(path, $"tensor '{name}' has an invalid dimension {d.GetRawText()}");
            shape.Add(n);
            count = checked(count * n);
        }
        if (!e.TryGetProperty("data_offsets", out JsonElement off) || off.ValueKind != JsonValueKind.Array
            || off.GetArrayLength() != 2 || !off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end))
            throw new SafetensorsFormatException(path, $"tensor '{name}' has no [begin, end] data_offsets");
        if (begin < 0 || end < begin)
            throw new SafetensorsFormatException(path, $"tensor '{name}' has data_offsets [{begin}, {end}] out of order");
        if (end > dataLength)
            throw new SafetensorsFormatException(path,
                $"tensor '{name}' ends at byte {end} of a data section of {dataLength} bytes (truncated file?)");
        if (end - begin != count * dtype.Size())
            throw new SafetensorsFormatException(path,
                $"tensor '{name}' spans {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {count * dtype.Size()}");
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void CheckNoOverlap(string path, IEnumerable<TensorInfo> tensors)
    {
        TensorInfo? previous = null;
        foreach (TensorInfo t in tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin))
        {
            if (previous is not null && t.Begin < previous.End)
                throw new SafetensorsFormatException(path, $"tensors '{previous.Name}' and '{t.Name}' overlap");
            previous = t;
        }
    }
}
