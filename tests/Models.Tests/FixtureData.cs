using System.Text.Json;
using Search.Models.Tensors;

namespace Search.Models.Tests;

/// <summary>The fixtures written by tools/make_model_fixtures.py, copied next to the test assembly.</summary>
internal static class FixtureData
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string BertDirectory => Path.Combine(Root, "tiny-bert");

    public static string LlamaDirectory => Path.Combine(Root, "tiny-llama");

    public static JsonElement Tokens { get; } = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, "tokens.json"))).RootElement;

    private static readonly Lazy<SafetensorsFile> References = new(() => SafetensorsFile.Open(Path.Combine(Root, "reference.safetensors")));

    public static float[] Reference(string name) => References.Value.ReadFloat32(name);

    public static IReadOnlyList<int> ReferenceShape(string name) => References.Value.Info(name).Shape;

    public static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    public static int[][] IntLists(JsonElement e) => [.. e.EnumerateArray().Select(Ints)];

    public static float MaxAbsDiff(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }
}
