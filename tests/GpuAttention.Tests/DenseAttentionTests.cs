namespace Search.GpuAttention.Tests;

public sealed class DenseAttentionTests
{
    public static TheoryData<int, int, int, int, bool, int> Shapes => new()
    {
        // heads, kvHeads, tokens, headDim, causal, seed
        { 1, 1, 1, 7, true, 1 },
        { 2, 2, 3, 33, false, 2 },
        { 4, 2, 129, 64, true, 3 },
        { 4, 1, 129, 33, false, 4 },
        { 3, 3, 65, 8, true, 5 },
        { 2, 1, 200, 64, false, 6 },
        { 6, 3, 71, 7, true, 7 },
        // short query blocks stack GQA heads into one tile: 3 + 1 heads, 4 × 7 rows
        { 4, 1, 20, 33, true, 8 },
        { 8, 2, 7, 16, false, 9 },
        { 8, 2, 7, 16, true, 10 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Dense_matches_the_reference(int heads, int kvHeads, int tokens, int headDim, bool causal, int seed)
    {
        var random = new Random(seed);
        var q = Tensors.Random(random, heads * tokens * headDim);
        var k = Tensors.Random(random, kvHeads * tokens * headDim);
        var v = Tensors.Random(random, kvHeads * tokens * headDim);
        var input = new AttentionInput(q, heads, tokens, 0, KvTensor.FromSingle(k, kvHeads, tokens, headDim), KvTensor.FromSingle(v, kvHeads, tokens, headDim));
        var output = new float[input.OutputLength];
        new CpuAttentionBackend().Dense(input, causal, output);
        var (expected, _) = ReferenceAttention.Compute(q, heads, tokens, 0, k, v, kvHeads, tokens, headDim, (i, j) => !causal || j <= i);
        Tensors.AssertClose(expected, output, 1e-5);
    }

    [Fact]
    public void Dense_over_a_suffix_of_queries_matches_the_full_computation()
    {
        var random = new Random(11);
        int heads = 2, tokens = 130, d = 16, start = 97;
        var q = Tensors.Random(random, heads * (tokens - start) * d);
        var k = Tensors.Random(random, heads * tokens * d);
        var v = Tensors.Random(random, heads * tokens * d);
        var input = new AttentionInput(q, heads, tokens - start, start, KvTensor.FromSingle(k, heads, tokens, d), KvTensor.FromSingle(v, heads, tokens, d));
        var output = new float[input.OutputLength];
        new CpuAttentionBackend(1).Dense(input, causal: true, output);
        var (expected, _) = ReferenceAttention.Compute(q, heads, tokens - start, start, k, v, heads, tokens, d, (i, j) => j <= i);
        Tensors.AssertClose(expected, output, 1e-5);
    }

    [Fact]
    public void Large_scores_do_not_overflow_the_softmax()
    {
        var random = new Random(12);
        int heads = 1, tokens = 150, d = 32;
        var q = Tensors.Random(random, heads * tokens * d, amplitude: 30);
        var k = Tensors.Random(random, heads * tokens * d, amplitude: 30);
        var v = Tensors.Random(random, heads * tokens * d);
        var input = new AttentionInput(q, heads, tokens, 0, KvTensor.FromSingle(k, heads, tokens, d), KvTensor.FromSingle(v, heads, tokens, d));
        var output = new float[input.OutputLength];
        new CpuAttentionBackend().Dense(input, causal: true, output);
        Assert.All(output, x => Assert.True(float.IsFinite(x)));
        var (expected, _) = ReferenceAttention.Compute(q, heads, tokens, 0, k, v, heads, tokens, d, (i, j) => j <= i);
        // Scores of order 10^3 lose absolute precision in fp32 dot products; the result must still agree closely.
        Tensors.AssertClose(expected, output, 1e-3);
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
    {
        var keys = KvTensor.Create(3, 4, 8);
        var input = new AttentionInput(new float[4 * 4 * 8], 4, 4, 0, keys, KvTensor.Create(3, 4, 8));
        Assert.Throws<ArgumentException>(() => new CpuAttentionBackend().Dense(input, true, new float[4 * 4 * 8]));
    }
}
