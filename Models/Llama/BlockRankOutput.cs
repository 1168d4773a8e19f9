using Search.GpuAttention;

namespace Search.Models.Llama;

/// <summary>The query block's final hidden states and, per requested layer, the attention mass from each query row
/// to each block (block 0 the instruction, 1..N the documents, N + 1 the query itself).</summary>
public sealed record BlockRankOutput(DecoderOutput QueryHidden, IReadOnlyDictionary<int, BlockMasses> Masses)
{
    /// <summary>Mass from query row <paramref name="row"/> to document <paramref name="document"/> (0-based), summed over heads.</summary>
    public float DocumentMass(int layer, int row, int document) => Masses[layer].Summed(row, document + 1);

    /// <summary>BlockRank's score per document at a layer: its mass summed over heads and query rows.</summary>
    public double[] DocumentScores(int layer)
    {
        double[] perBlock = Masses[layer].TotalPerBlock();
        return perBlock[1..^1];
    }
}
