using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ILGPU.Runtime;
using Search.Indexing.Embeddings;

namespace Search.Benchmarks;

/// <summary>
/// <c>./search bench embeddings --model NAME</c>: one packaged encoder on every runtime and precision in the same run —
/// the project's fp32 kernels, ONNX Runtime fp32 and int8, and the project's pass on a GPU when one is given — over
/// the same passages of a fixed token length: passages per second, the ratios to the project's kernels, and how far
/// each variant's vectors are from fp32.
/// </summary>
public static class EncoderBenchmark
{
    private sealed record Variant(string Name, EncoderRuntime Runtime, Accelerator? Device = null);

    private static readonly Variant[] Variants =
    [
        new("models-fp32", EncoderRuntime.ModelsFloat32),
        new("onnxruntime-fp32", EncoderRuntime.OnnxFloat32),
        new("onnxruntime-int8", EncoderRuntime.OnnxInt8),
    ];

    /// <summary>Runs the comparison on <paramref name="passages"/> passages of <paramref name="tokens"/> tokens, and on <paramref name="device"/> too if given; returns the JSON summary.</summary>
    public static string Run(string model, int passages, int tokens, int seed, Accelerator? device, TextWriter log)
    {
        var package = PackagedEncoders.Find(model) ?? throw new ArgumentException($"no packaged encoder '{model}'; available: {string.Join(", ", PackagedEncoders.All.Select(p => p.Description.Name))}");
        var texts = Passages(package, passages, tokens, seed);
        log.WriteLine($"{package.Description.Name}: {passages} passages of {tokens} tokens, batches of 32, {Environment.ProcessorCount} cores, device: {device?.Name ?? "none"}");
        var perSecond = new Dictionary<string, double>();
        var distance = new Dictionary<string, double>();
        float[][]? reference = null;
        Variant[] variants = device is null ? Variants : [.. Variants, new("models-fp32-device", EncoderRuntime.ModelsFloat32, device)];
        foreach (var variant in variants)
        {
            using var encoder = PackagedEncoders.Load(package, variant.Runtime, variant.Device);
            var ids = texts.Select(t => encoder.Tokenizer.Encode(t, maxLength: tokens)).ToList();
            encoder.Encoder.Encode(ids.Take(8).ToList()); // warm-up: sessions, kernels, buffers
            var vectors = new List<float[]>(ids.Count);
            var clock = Stopwatch.StartNew();
            for (int start = 0; start < ids.Count; start += 32)
                vectors.AddRange(encoder.Encoder.Encode(ids.Skip(start).Take(32).ToList()).Pool(encoder.Pooling, normalize: true));
            double rate = ids.Count / clock.Elapsed.TotalSeconds;
            perSecond[variant.Name] = Math.Round(rate, 1);
            reference ??= [.. vectors];
            double worst = 1;
            for (int i = 0; i < vectors.Count; i++)
            {
                double dot = 0;
                for (int d = 0; d < vectors[i].Length; d++) dot += vectors[i][d] * reference[i][d];
                worst = Math.Min(worst, dot);
            }
            distance[variant.Name] = Math.Round(worst, 6);
            log.WriteLine($"  {variant.Name,-18} {rate,7:0.0} passages/s  {encoder.Encoder.Runtime,-24} lowest cosine to models-fp32 {worst:0.00000}");
        }
        var ratios = new Dictionary<string, double>();
        foreach (var (name, rate) in perSecond) ratios[name + "_vs_models_fp32"] = Math.Round(rate / perSecond["models-fp32"], 3);
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = package.Description.Name,
            ["passages"] = passages,
            ["tokens"] = tokens,
            ["cores"] = Environment.ProcessorCount,
            ["device"] = device?.Name ?? "none",
            ["passages_per_s"] = perSecond,
            ["ratios"] = ratios,
            ["lowest_cosine_to_models_fp32"] = distance,
        });
    }

    /// <summary>Passages of whole words from the model's own vocabulary, each at least <paramref name="tokens"/> tokens long (they are cut there).</summary>
    private static List<string> Passages(PackagedEncoders.Package package, int count, int tokens, int seed)
    {
        var words = new List<string>();
        foreach (var line in PackagedEncoders.Vocabulary(package).Split('\n'))
        {
            string w = line.TrimEnd('\r');
            if (w.Length > 2 && !w.StartsWith("##", StringComparison.Ordinal) && !w.StartsWith('[') && w.All(char.IsAsciiLetterLower)) words.Add(w);
        }
        var rng = new Random(seed);
        var result = new List<string>(count);
        var sb = new StringBuilder();
        for (int p = 0; p < count; p++)
        {
            sb.Clear();
            for (int i = 0; i < tokens * 2; i++) sb.Append(words[rng.Next(words.Count)]).Append(' ');
            result.Add(sb.ToString());
        }
        return result;
    }
}
