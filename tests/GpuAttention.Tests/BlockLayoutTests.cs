namespace Search.GpuAttention.Tests;

public sealed class BlockLayoutTests
{
    [Fact]
    public void BlockRank_wires_documents_to_the_instruction_and_the_query_to_everything()
    {
        var layout = BlockLayout.BlockRank(2, [3, 0, 2], 2);
        Assert.Equal(5, layout.BlockCount); // instruction, three documents (one empty), query
        Assert.Equal(9, layout.Tokens);
        Assert.Equal([0, 1], layout.KeyBlocks(1).ToArray());
        Assert.Equal([0, 1, 2, 3, 4], layout.KeyBlocks(4).ToArray());
        Assert.True(layout.Allows(3, 0));    // doc 1 token → instruction
        Assert.False(layout.Allows(5, 2));   // doc 3 → doc 1
        Assert.False(layout.Allows(2, 3));   // causal inside doc 1
        Assert.True(layout.Allows(7, 6));    // query → doc 3
        Assert.False(layout.Allows(7, 8));   // causal inside the query
    }

    [Fact]
    public void Empty_blocks_own_no_token()
    {
        var layout = BlockLayout.FromPairs([2, 0, 0, 3], [(0, 0), (3, 3)], causalDiagonal: false);
        Assert.Equal(0, layout.BlockOf(1));
        Assert.Equal(3, layout.BlockOf(2));
        Assert.Equal(2, layout.BlockStart(1));
        Assert.Equal(0, layout.BlockLength(2));
    }

    [Fact]
    public void Duplicate_pairs_collapse_and_out_of_range_pairs_are_rejected()
    {
        var layout = BlockLayout.FromPairs([1, 1], [(1, 0), (1, 0), (1, 1)], causalDiagonal: true);
        Assert.Equal(2, layout.PairCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockLayout.FromPairs([1], [(0, 1)], causalDiagonal: false));
    }
}
