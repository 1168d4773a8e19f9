using Search.GpuAttention.Caching;

namespace Search.GpuAttention;

/// <summary>
/// The context a query block attends to: cached blocks (instruction, documents) of one layer in assembly order. By
/// default they are laid end to end from position 0 and <paramref name="Rope"/> re-encodes cached keys to those positions
/// (Block-Attention); with <paramref name="QueryAt"/> every block keeps the position it was encoded at (BlockRank's
/// layout: all documents right after the instruction) and the query block starts at that position.
/// </summary>
/// <param name="Cache">Where the blocks' keys and values are.</param>
/// <param name="Layer">The layer.</param>
/// <param name="BlockIds">Blocks in assembly order.</param>
/// <param name="Rope">The model's rotary embedding, or null.</param>
/// <param name="QueryAt">Null: blocks end to end, the query after them; else the query block's position, blocks where they were encoded.</param>
public sealed record CachedContext(BlockKvCache Cache, int Layer, IReadOnlyList<string> BlockIds, RotaryEmbedding? Rope, int? QueryAt = null)
{
    /// <summary>The blocks' entries and the start positions they take in the assembly, in order.</summary>
    public IReadOnlyList<(CachedBlock Block, int AssembledPosition)> Assemble()
    {
        var result = new List<(CachedBlock, int)>(BlockIds.Count);
        int position = 0;
        foreach (string id in BlockIds)
        {
            var block = Cache.Get(id, Layer);
            if (QueryAt is int query)
            {
                if ((long)block.Position + block.Tokens > query)
                    throw new ArgumentException($"block '{id}' ends at {(long)block.Position + block.Tokens}, after the query's position {query}");
                result.Add((block, block.Position));
            }
            else
            {
                result.Add((block, position));
                position = checked(position + block.Tokens);
            }
        }
        return result;
    }

    /// <summary>Position of the query block's first token: <see cref="QueryAt"/>, or the context's total length.</summary>
    public int QueryPosition
    {
        get
        {
            if (QueryAt is int query) return query;
            int position = 0;
            foreach (string id in BlockIds) position = checked(position + Cache.Get(id, Layer).Tokens);
            return position;
        }
    }
}
