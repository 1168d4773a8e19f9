using System.Text.Json;

namespace Search.Models.Tensors;

/// <summary>The weights of one model directory: a single model.safetensors or shards listed by model.safetensors.index.json.</summary>
public sealed class ModelWeights : ITensorSource, IDisposable
{
    private readonly List<SafetensorsFile> _files = [];
    private readonly Dictionary<string, SafetensorsFile> _byName = new(StringComparer.Ordinal);

    /// <summary>Opens the weights found in <paramref name="directory"/>.</summary>
    public static ModelWeights Open(string directory)
    {
        var weights = new ModelWeights();
        try
        {
            string single = Path.Combine(directory, "model.safetensors");
            string index = Path.Combine(directory, "model.safetensors.index.json");
            if (System.IO.File.Exists(single)) weights.Add(SafetensorsFile.Open(single));
            else if (System.IO.File.Exists(index))
                foreach (string shard in ShardNames(index)) weights.Add(SafetensorsFile.Open(Path.Combine(directory, shard)));
            else throw new FileNotFoundException($"{directory} has neither model.safetensors nor model.safetensors.index.json");
            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>Wraps already opened files (the weights take ownership).</summary>
    public static ModelWeights FromFiles(params SafetensorsFile[] files)
    {
        var weights = new ModelWeights();
        foreach (SafetensorsFile f in files) weights.Add(f);
        return weights;
    }

    /// <summary>Every tensor name across the files.</summary>
    public IEnumerable<string> Names => _byName.Keys;

    /// <summary>Whether some file holds this tensor.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of a tensor.</summary>
    public TensorInfo Info(string name) => File(name).Info(name);

    /// <summary>Reads a tensor as fp32, checking its shape when <paramref name="shape"/> is given.</summary>
    public float[] Read(string name, params int[] shape)
    {
        TensorInfo info = Info(name);
        if (shape.Length > 0 && !info.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"tensor '{name}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", shape)}]");
        return File(name).ReadFloat32(name);
    }

    /// <summary>Reads a tensor when present, otherwise null (optional biases).</summary>
    public float[]? ReadOptional(string name, params int[] shape) => Contains(name) ? Read(name, shape) : null;

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (SafetensorsFile f in _files) f.Dispose();
        _files.Clear();
    }

    private SafetensorsFile File(string name) =>
        _byName.TryGetValue(name, out SafetensorsFile? f) ? f : throw new KeyNotFoundException($"no weight file holds tensor '{name}'");

    private void Add(SafetensorsFile file)
    {
        _files.Add(file);
        foreach (string name in file.Tensors.Keys) _byName[name] = file;
    }

    private static IEnumerable<string> ShardNames(string indexPath)
    {
        using JsonDocument doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(indexPath));
        if (!doc.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{indexPath} has no weight_map");
        return map.EnumerateObject().Select(p => p.Value.GetString()!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }
}
