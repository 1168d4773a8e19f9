using Search.GpuAttention.Caching;

namespace Search.GpuAttention;

/// <summary>
/// The context a query block attends to: cached blocks (instruction, documents) of one layer in assembly
/// order, laid end to end from position 0; <paramref name="Rope"/> re-encodes cached keys to those positions
/// (null when the model has no rotary positions).
/// </summary>
/// <param name="Cache">Where the blocks' keys and values are.</param>
/// <param name="Layer">The layer.</param>
/// <param name="BlockIds">Blocks in assembly order.</param>
/// <param name="Rope">The model's rotary embedding, or null.</param>
public sealed record CachedContext(BlockKvCache Cache, int Layer, IReadOnlyList<string> BlockIds, RotaryEmbedding? Rope)
{
    /// <summary>The blocks' entries and assembled start positions, in order.</summary>
    public IReadOnlyList<(CachedBlock Block, int AssembledPosition)> Assemble()
    {
        var result = new List<(CachedBlock, int)>(BlockIds.Count);
        int position = 0;
        foreach (string id in BlockIds)
        {
            var block = Cache.Get(id, Layer);
            result.Add((block, position));
            position = checked(position + block.Tokens);
        }
        return result;
    }

    /// <summary>Position of the query block's first token: the context's total length.</summary>
    public int QueryPosition
    {
        get
        {
            int position = 0;
            foreach (string id in BlockIds) position = checked(position + Cache.Get(id, Layer).Tokens);
            return position;
        }
    }
}
