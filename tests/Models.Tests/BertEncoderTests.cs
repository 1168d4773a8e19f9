using Search.GpuAttention;
using Search.Models.Bert;
using Search.Models.Configuration;
using Search.Models.Tensors;
using Xunit.Abstractions;

namespace Search.Models.Tests;

public class BertEncoderTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    private static BertOutput EncodeFixtureBatch(IAttentionBackend? backend = null)
    {
        ModelConfig config = ModelConfig.Load(Path.Combine(FixtureData.BertDirectory, "config.json"));
        using ModelWeights weights = ModelWeights.Open(FixtureData.BertDirectory);
        var encoder = new BertEncoder(config, BertWeights.Load(weights, config), backend);
        int[][] all = FixtureData.IntLists(FixtureData.Tokens.GetProperty("bert"));
        int[] batch = FixtureData.Ints(FixtureData.Tokens.GetProperty("bert_batch"));
        return encoder.Encode([.. batch.Select(i => all[i])]);
    }

    [Fact]
    public void Last_hidden_states_of_a_padded_batch_match_PyTorch()
    {
        BertOutput result = EncodeFixtureBatch();
        IReadOnlyList<int> shape = FixtureData.ReferenceShape("bert.hidden");
        Assert.Equal([result.Batch, result.MaxTokens, result.HiddenSize], shape);
        float error = FixtureData.MaxAbsDiff(FixtureData.Reference("bert.hidden"), result.Hidden);
        output.WriteLine($"bert hidden max abs error {error:E2}");
        Assert.True(error < Tolerance, $"max abs error {error}");
    }

    [Theory]
    [InlineData(Pooling.Mean, "bert.mean")]
    [InlineData(Pooling.Cls, "bert.cls")]
    public void Pooled_embeddings_match_PyTorch(Pooling pooling, string reference)
    {
        float[] pooled = [.. EncodeFixtureBatch().Pool(pooling).SelectMany(e => e)];
        float error = FixtureData.MaxAbsDiff(FixtureData.Reference(reference), pooled);
        output.WriteLine($"{reference} max abs error {error:E2}");
        Assert.True(error < Tolerance, $"max abs error {error}");
    }

    [Fact]
    public void A_sequence_encodes_the_same_alone_and_in_a_padded_batch_on_one_thread()
    {
        BertOutput batched = EncodeFixtureBatch(new CpuAttentionBackend(1));
        ModelConfig config = ModelConfig.Load(Path.Combine(FixtureData.BertDirectory, "config.json"));
        using ModelWeights weights = ModelWeights.Open(FixtureData.BertDirectory);
        var encoder = new BertEncoder(config, BertWeights.Load(weights, config));
        int[] first = FixtureData.IntLists(FixtureData.Tokens.GetProperty("bert"))[1];
        BertOutput alone = encoder.Encode([first]);
        Assert.True(FixtureData.MaxAbsDiff(alone.Pool(Pooling.Mean)[0], batched.Pool(Pooling.Mean)[1]) < 1e-5f);
        float[] unit = alone.Pool(Pooling.Cls, normalize: true)[0];
        Assert.Equal(1.0, Math.Sqrt(unit.Sum(v => (double)v * v)), 5);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-2.0, -0.9953222650189527)]
    [InlineData(2.4, 0.9993114861033549)]
    [InlineData(2.6, 0.9997639655834707)]
    [InlineData(4.0, 0.9999999845827421)]
    public void Erf_is_accurate_across_its_branches(double x, double expected) =>
        Assert.Equal(expected, Search.Models.Kernels.Activations.Erf(x), 13);

    [Fact]
    public void Vectorized_GELU_and_SiLU_match_their_definitions_across_vector_bodies_tails_and_chunks()
    {
        int n = (1 << 15) * 2 + 13;  // several parallel chunks and a scalar tail
        float[] x = [.. Enumerable.Range(0, n).Select(i => -12f + 24f * i / n)];
        float[] gelu = (float[])x.Clone();
        Search.Models.Kernels.Activations.Gelu(gelu, n);
        float[] gate = (float[])x.Clone(), up = [.. x.Select(v => 0.5f - v)];
        Search.Models.Kernels.Activations.SiluGate(gate, up, n);
        for (int i = 0; i < n; i++)
        {
            double v = x[i];
            Assert.True(Math.Abs(0.5 * v * (1 + Search.Models.Kernels.Activations.Erf(v / Math.Sqrt(2))) - gelu[i]) < 2e-6, $"gelu({v})");
            Assert.True(Math.Abs(v / (1 + Math.Exp(-v)) * up[i] - gate[i]) < 1e-5 * Math.Max(1, Math.Abs(v * up[i])), $"silu({v})");
        }
    }
}
