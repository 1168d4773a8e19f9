using Search.GpuAttention.Caching;

namespace Search.GpuAttention.Tests;

public sealed class QueryAgainstCacheTests
{
    private static float[] Encoded(float[] raw, int heads, int tokens, int d, RotaryEmbedding? rope, int position)
    {
        var copy = raw.ToArray();
        if (rope is not null)
            for (int h = 0; h < heads; h++) rope.Apply(copy.AsSpan(h * tokens * d, tokens * d), position);
        return copy;
    }

    [Theory]
    [InlineData(true, 64, 4, 2, KvPrecision.Float32, 1)]
    [InlineData(true, 34, 3, 1, KvPrecision.Float32, 2)]
    [InlineData(false, 33, 2, 2, KvPrecision.Float32, 3)]
    [InlineData(true, 16, 2, 1, KvPrecision.Float16, 4)]
    public void Query_against_the_cache_equals_block_sparse_recomputation_of_the_whole_context(bool withRope, int d, int heads, int kvHeads, KvPrecision precision, int seed)
    {
        var random = new Random(seed);
        var rope = withRope ? new RotaryEmbedding(d, 10_000) : null;
        int instruction = 9, query = 13;
        int[] docs = [70, 0, 5, 129, 1];
        var layout = BlockLayout.BlockRank(instruction, docs, query);
        int tokens = layout.Tokens, queryPosition = layout.BlockStart(layout.BlockCount - 1);

        // Raw (position-free) keys and values for the whole sequence; the reference encodes them where they end up.
        var rawKeys = Tensors.Random(random, kvHeads * tokens * d);
        var values = Tensors.Random(random, kvHeads * tokens * d);
        var rawQueries = Tensors.Random(random, heads * query * d);

        float[] Slice(float[] data, int h, int start, int length) => data.AsSpan((h * tokens + start) * d, length * d).ToArray();
        float[] Block(float[] data, int start, int length)
        {
            var result = new float[kvHeads * length * d];
            for (int h = 0; h < kvHeads; h++) Slice(data, h, start, length).CopyTo(result, h * length * d);
            return result;
        }

        // Cache every context block encoded at some other position (docs as if prefilled right after the instruction).
        var cache = new BlockKvCache();
        var ids = new List<string>();
        for (int b = 0; b < layout.BlockCount - 1; b++)
        {
            int start = layout.BlockStart(b), length = layout.BlockLength(b);
            int cachedAt = b == 0 ? 0 : instruction + 3 * b;
            string id = b == 0 ? "instruction" : $"doc-{b}";
            ids.Add(id);
            var keys = Encoded(Block(rawKeys, start, length), kvHeads, length, d, rope, cachedAt);
            cache.Put(id, 2, KvTensor.FromSingle(keys, kvHeads, length, d, precision), KvTensor.FromSingle(Block(values, start, length), kvHeads, length, d, precision), cachedAt);
        }
        var context = new CachedContext(cache, 2, ids, rope);
        Assert.Equal(queryPosition, context.QueryPosition);

        // The query block's own queries, keys and values, encoded at their assembled position.
        var queries = Encoded(rawQueries, heads, query, d, rope, queryPosition);
        var ownKeys = KvTensor.FromSingle(Encoded(Block(rawKeys, queryPosition, query), kvHeads, query, d, rope, queryPosition), kvHeads, query, d, precision);
        var ownValues = KvTensor.FromSingle(Block(values, queryPosition, query), kvHeads, query, d, precision);
        var cachedOutput = new float[heads * query * d];
        var backend = new CpuAttentionBackend();
        var cachedMasses = backend.QueryAgainstCache(context, new AttentionInput(queries, heads, query, 0, ownKeys, ownValues), cachedOutput, new RowRange(0, query))!;
        var massesOnly = backend.QueryAgainstCache(context, new AttentionInput(queries, heads, query, 0, ownKeys, ownValues), null, new RowRange(0, query))!;

        // Reference: the whole context assembled and encoded in place, the query block computed block-sparse.
        var assembledKeys = new float[kvHeads * tokens * d];
        for (int b = 0; b < layout.BlockCount; b++)
        {
            int start = layout.BlockStart(b), length = layout.BlockLength(b);
            var encoded = Encoded(Block(rawKeys, start, length), kvHeads, length, d, rope, start);
            for (int h = 0; h < kvHeads; h++) encoded.AsSpan(h * length * d, length * d).CopyTo(assembledKeys.AsSpan((h * tokens + start) * d));
        }
        var fullInput = new AttentionInput(queries, heads, query, queryPosition,
            KvTensor.FromSingle(assembledKeys, kvHeads, tokens, d, precision), KvTensor.FromSingle(values, kvHeads, tokens, d, precision));
        var fullOutput = new float[heads * query * d];
        var fullMasses = backend.BlockSparse(fullInput, layout, fullOutput, new RowRange(0, query))!;

        // fp16 keys are rounded after encoding on one side and before the re-encoding rotation on the other.
        double tolerance = precision == KvPrecision.Float32 ? 1e-5 : 2e-3;
        for (int i = 0; i < fullOutput.Length; i++) Assert.Equal(fullOutput[i], cachedOutput[i], tolerance);
        Assert.Equal(layout.BlockCount, cachedMasses.Blocks);
        for (int h = 0; h < heads; h++)
            for (int r = 0; r < query; r++)
            {
                double total = 0;
                for (int b = 0; b < layout.BlockCount; b++)
                {
                    Assert.Equal(fullMasses.PerHead(h, r, b), cachedMasses.PerHead(h, r, b), tolerance);
                    Assert.Equal(cachedMasses.PerHead(h, r, b), massesOnly.PerHead(h, r, b), 1e-6);
                    total += cachedMasses.PerHead(h, r, b);
                }
                Assert.Equal(1.0, total, 1e-5);
            }
        if (precision == KvPrecision.Float32)
        {
            var (expected, _) = ReferenceAttention.Compute(queries, heads, query, queryPosition, assembledKeys, values, kvHeads, tokens, d, layout.Allows);
            Tensors.AssertClose(expected, cachedOutput, 1e-5);
        }
    }

    [Fact]
    public void Re_encoded_cache_entries_give_the_same_answer_as_query_rotation()
    {
        var random = new Random(9);
        int d = 32, heads = 2, length = 40, query = 8;
        var rope = new RotaryEmbedding(d);
        var cache = new BlockKvCache();
        cache.Put("a", 0, KvTensor.FromSingle(Tensors.Random(random, heads * length * d), heads, length, d), KvTensor.FromSingle(Tensors.Random(random, heads * length * d), heads, length, d), 500);
        cache.Put("b", 0, KvTensor.FromSingle(Tensors.Random(random, heads * length * d), heads, length, d), KvTensor.FromSingle(Tensors.Random(random, heads * length * d), heads, length, d), 7);
        var input = new AttentionInput(Tensors.Random(random, heads * query * d), heads, query, 0,
            KvTensor.FromSingle(Tensors.Random(random, heads * query * d), heads, query, d), KvTensor.FromSingle(Tensors.Random(random, heads * query * d), heads, query, d));
        var context = new CachedContext(cache, 0, ["a", "b"], rope);
        var backend = new CpuAttentionBackend(1);
        var before = new float[input.OutputLength];
        backend.QueryAgainstCache(context, input, before);
        cache.ReEncode("a", 0, 0, rope);
        cache.ReEncode("b", 0, length, rope);
        var after = new float[input.OutputLength];
        backend.QueryAgainstCache(context, input, after);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i], 1e-5);
    }

    [Fact]
    public void Blocks_kept_where_they_were_encoded_attend_as_if_laid_out_there()
    {
        var random = new Random(11);
        int d = 32, heads = 4, kvHeads = 2, query = 6;
        var rope = new RotaryEmbedding(d);
        int[] lengths = [10, 20, 15];
        var rawKeys = lengths.Select(n => Tensors.Random(random, kvHeads * n * d)).ToArray();
        var values = lengths.Select(n => Tensors.Random(random, kvHeads * n * d)).ToArray();
        float[] rawQueries = Tensors.Random(random, heads * query * d), rawOwnKeys = Tensors.Random(random, kvHeads * query * d), ownValues = Tensors.Random(random, kvHeads * query * d);
        var backend = new CpuAttentionBackend(1);

        // Blocks encoded at shift + their end-to-end offsets (or all at one position), the query at queryAt.
        (float[] Output, BlockMasses Masses) Run(int[] positions, int queryAt, bool keepPositions)
        {
            var cache = new BlockKvCache();
            string[] ids = ["instruction", "doc1", "doc2"];
            for (int b = 0; b < ids.Length; b++)
                cache.Put(ids[b], 0, KvTensor.FromSingle(Encoded(rawKeys[b], kvHeads, lengths[b], d, rope, positions[b]), kvHeads, lengths[b], d),
                    KvTensor.FromSingle(values[b], kvHeads, lengths[b], d), positions[b]);
            var input = new AttentionInput(Encoded(rawQueries, heads, query, d, rope, queryAt), heads, query, 0,
                KvTensor.FromSingle(Encoded(rawOwnKeys, kvHeads, query, d, rope, queryAt), kvHeads, query, d), KvTensor.FromSingle(ownValues, kvHeads, query, d));
            var output = new float[input.OutputLength];
            var masses = backend.QueryAgainstCache(new CachedContext(cache, 0, ids, rope, keepPositions ? queryAt : null), input, output, new RowRange(0, query))!;
            return (output, masses);
        }

        var endToEnd = Run([0, 10, 30], 45, keepPositions: false);
        // Encoded exactly where the end-to-end layout puts them: the same answer either way, and after moving everything by 1,000.
        foreach (int shift in new[] { 0, 1000 })
        {
            var kept = Run([shift, shift + 10, shift + 30], shift + 45, keepPositions: true);
            for (int i = 0; i < endToEnd.Output.Length; i++) Assert.Equal(endToEnd.Output[i], kept.Output[i], 1e-4);
            for (int b = 0; b < 4; b++) Assert.Equal(endToEnd.Masses.Summed(query - 1, b), kept.Masses.Summed(query - 1, b), 1e-4);
        }
        // BlockRank's layout: both documents right after the instruction, the query far after them; differs from end to end.
        var shared = Run([0, 10, 10], 16_384, keepPositions: true);
        Assert.NotEqual(endToEnd.Masses.Summed(0, 2), shared.Masses.Summed(0, 2), 3);
        // A block that would end after the query is refused.
        Assert.Throws<ArgumentException>(() => Run([0, 10, 30], 40, keepPositions: true));
    }

    [Fact]
    public void A_missing_block_is_named()
    {
        var context = new CachedContext(new BlockKvCache(), 0, ["nowhere"], null);
        var e = Assert.Throws<KeyNotFoundException>(() => context.QueryPosition);
        Assert.Contains("nowhere", e.Message);
    }
}
