namespace Search.GpuAttention.Tests;

public sealed class BlockSparseAttentionTests
{
    private static (AttentionInput Input, float[] Q, float[] K, float[] V) Problem(Random random, int heads, int kvHeads, int tokens, int d, int queryStart = 0)
    {
        var q = Tensors.Random(random, heads * (tokens - queryStart) * d);
        var k = Tensors.Random(random, kvHeads * tokens * d);
        var v = Tensors.Random(random, kvHeads * tokens * d);
        return (new AttentionInput(q, heads, tokens - queryStart, queryStart, KvTensor.FromSingle(k, kvHeads, tokens, d), KvTensor.FromSingle(v, kvHeads, tokens, d)), q, k, v);
    }

    public static TheoryData<int[], int, int, int, int> BlockRankShapes => new()
    {
        // block lengths (instruction, docs…, query), heads, kvHeads, headDim, seed
        { new[] { 5, 17, 0, 33, 1, 9 }, 2, 1, 7, 1 },
        { new[] { 16, 128, 129, 64, 3 }, 4, 2, 64, 2 },
        { new[] { 0, 3, 3, 1 }, 3, 3, 33, 3 },
        { new[] { 70, 1, 65, 130, 32 }, 2, 2, 16, 4 },
    };

    [Theory]
    [MemberData(nameof(BlockRankShapes))]
    public void BlockRank_matches_the_reference_and_its_masses(int[] lengths, int heads, int kvHeads, int d, int seed)
    {
        var layout = BlockLayout.BlockRank(lengths[0], lengths[1..^1], lengths[^1]);
        var (input, q, k, v) = Problem(new Random(seed), heads, kvHeads, layout.Tokens, d);
        var output = new float[input.OutputLength];
        var massRows = new RowRange(0, layout.Tokens);
        var masses = new CpuAttentionBackend().BlockSparse(input, layout, output, massRows)!;
        var (expected, expectedMasses) = ReferenceAttention.Compute(q, heads, layout.Tokens, 0, k, v, kvHeads, layout.Tokens, d, layout.Allows, layout.BlockOf, layout.BlockCount);
        Tensors.AssertClose(expected, output, 1e-5);
        for (int h = 0; h < heads; h++)
            for (int row = 0; row < layout.Tokens; row++)
            {
                double total = 0;
                for (int b = 0; b < layout.BlockCount; b++)
                {
                    float mass = masses.PerHead(h, row, b);
                    Assert.Equal(expectedMasses[(h * layout.Tokens + row) * layout.BlockCount + b], mass, 1e-5);
                    total += mass;
                }
                Assert.Equal(1.0, total, 1e-5);
            }
    }

    [Fact]
    public void Block_sparse_equals_dense_attention_under_the_equivalent_mask()
    {
        int[] lengths = [9, 40, 0, 77, 3];
        var pairs = new List<(int, int)> { (0, 0), (1, 0), (1, 1), (3, 1), (3, 3), (3, 0), (4, 4), (4, 1), (2, 2), (1, 3) };
        foreach (bool causal in new[] { true, false })
        {
            var layout = BlockLayout.FromPairs(lengths, pairs, causalDiagonal: causal);
            var (input, q, k, v) = Problem(new Random(causal ? 5 : 6), 4, 2, layout.Tokens, 33);
            var output = new float[input.OutputLength];
            new CpuAttentionBackend().BlockSparse(input, layout, output);
            var (expected, _) = ReferenceAttention.Compute(q, 4, layout.Tokens, 0, k, v, 2, layout.Tokens, 33, layout.Allows);
            Tensors.AssertClose(expected, output, 1e-5);
        }
    }

    [Fact]
    public void The_dense_layout_reproduces_the_dense_kernel()
    {
        int[] lengths = [64, 1, 63, 129];
        foreach (bool causal in new[] { true, false })
        {
            var layout = BlockLayout.Dense(lengths, causal);
            var (input, _, _, _) = Problem(new Random(7), 2, 1, layout.Tokens, 64);
            var sparse = new float[input.OutputLength];
            var dense = new float[input.OutputLength];
            var backend = new CpuAttentionBackend();
            backend.BlockSparse(input, layout, sparse);
            backend.Dense(input, causal, dense);
            for (int i = 0; i < dense.Length; i++) Assert.Equal(dense[i], sparse[i], 1e-5);
        }
    }

    [Fact]
    public void Rows_without_any_allowed_key_come_out_zero()
    {
        var layout = BlockLayout.FromPairs([4, 4], [(1, 1)], causalDiagonal: true);
        var (input, _, _, _) = Problem(new Random(8), 1, 1, 8, 8);
        var output = new float[input.OutputLength];
        var masses = new CpuAttentionBackend().BlockSparse(input, layout, output, new RowRange(0, 8))!;
        Assert.All(output.AsSpan(0, 4 * 8).ToArray(), x => Assert.Equal(0f, x));
        Assert.Equal(0f, masses.PerHead(0, 0, 0) + masses.PerHead(0, 0, 1));
        Assert.Equal(1f, masses.PerHead(0, 5, 1), 1e-6);
    }

    [Fact]
    public void Only_the_query_block_can_be_computed_against_the_whole_context()
    {
        var layout = BlockLayout.BlockRank(7, [20, 33, 5], 11);
        int queryStart = layout.BlockStart(layout.BlockCount - 1);
        var random = new Random(9);
        var (full, q, k, v) = Problem(random, 2, 1, layout.Tokens, 16);
        var suffixQueries = q.AsSpan().ToArray();
        int rows = layout.Tokens - queryStart;
        var suffix = new float[2 * rows * 16];
        for (int h = 0; h < 2; h++) Array.Copy(q, (h * layout.Tokens + queryStart) * 16, suffix, h * rows * 16, rows * 16);
        var input = full with { Query = suffix, QueryTokens = rows, QueryStart = queryStart };
        var output = new float[input.OutputLength];
        var masses = new CpuAttentionBackend().BlockSparse(input, layout, output, new RowRange(0, rows))!;
        var (expected, expectedMasses) = ReferenceAttention.Compute(suffix, 2, rows, queryStart, k, v, 1, layout.Tokens, 16, layout.Allows, layout.BlockOf, layout.BlockCount);
        Tensors.AssertClose(expected, output, 1e-5);
        for (int b = 0; b < layout.BlockCount; b++) Assert.Equal(expectedMasses[b], masses.PerHead(0, 0, b), 1e-5);
        Assert.Equal(2.0, masses.Summed(3, 0) + masses.Summed(3, 1) + masses.Summed(3, 2) + masses.Summed(3, 3) + masses.Summed(3, 4), 1e-5);
    }

    [Fact]
    public void Query_rows_must_cover_whole_blocks()
    {
        var layout = BlockLayout.BlockRank(4, [4], 4);
        var (input, _, _, _) = Problem(new Random(10), 1, 1, 12, 8, queryStart: 2);
        Assert.Throws<ArgumentException>(() => new CpuAttentionBackend().BlockSparse(input, layout, new float[input.OutputLength]));
    }
}

public sealed class MassesOnlyTests
{
    [Fact]
    public void Masses_without_output_equal_masses_with_output()
    {
        var layout = BlockLayout.BlockRank(12, [40, 0, 70], 9);
        var random = new Random(21);
        int heads = 4, kvHeads = 2, d = 16, tokens = layout.Tokens;
        var input = new AttentionInput(Tensors.Random(random, heads * tokens * d), heads, tokens, 0,
            KvTensor.FromSingle(Tensors.Random(random, kvHeads * tokens * d), kvHeads, tokens, d), KvTensor.FromSingle(Tensors.Random(random, kvHeads * tokens * d), kvHeads, tokens, d));
        var rows = new RowRange(tokens - 9, 9);
        var backend = new CpuAttentionBackend();
        var full = backend.BlockSparse(input, layout, new float[input.OutputLength], rows)!;
        var only = backend.BlockSparse(input, layout, null, rows)!;
        for (int h = 0; h < heads; h++)
            for (int r = 0; r < rows.Count; r++)
                for (int b = 0; b < layout.BlockCount; b++) Assert.Equal(full.PerHead(h, r, b), only.PerHead(h, r, b), 1e-6);
        Assert.Throws<ArgumentException>(() => backend.BlockSparse(input, layout, null));
    }
}
