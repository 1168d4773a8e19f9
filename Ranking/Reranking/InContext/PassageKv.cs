using Search.GpuAttention.Caching;

namespace Search.Ranking.Reranking.InContext;

/// <summary>One passage's keys and values for layers 0…L of a decoder, encoded right after the ranker's instruction.</summary>
public sealed class PassageKv
{
    /// <summary>The layers, index = layer.</summary>
    public IReadOnlyList<CachedBlock> Layers { get; }

    /// <summary>Bytes of every layer's keys and values.</summary>
    public long Bytes { get; }

    /// <summary>Wraps the layers (at least one; all of one block).</summary>
    public PassageKv(IReadOnlyList<CachedBlock> layers)
    {
        if (layers.Count == 0) throw new ArgumentException("a passage has at least one layer", nameof(layers));
        Layers = layers;
        long bytes = 0;
        foreach (var layer in layers) bytes += layer.Bytes;
        Bytes = bytes;
    }

    /// <summary>The passage's layers as block <paramref name="block"/> of <paramref name="cache"/> (shared, not copied).</summary>
    public void AddTo(BlockKvCache cache, string block)
    {
        for (int layer = 0; layer < Layers.Count; layer++) cache.Put(block, layer, Layers[layer]);
    }

    /// <summary>The layers of block <paramref name="block"/> of <paramref name="cache"/>, 0 up to the first layer it lacks.</summary>
    public static PassageKv From(BlockKvCache cache, string block)
    {
        var layers = new List<CachedBlock>();
        while (cache.TryGet(block, layers.Count, out var entry)) layers.Add(entry);
        return new PassageKv(layers);
    }
}
