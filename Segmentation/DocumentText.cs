namespace Search.Segmentation;

/// <summary>The canonical body text of a document: its blocks' rendered text joined by blank lines.</summary>
public static class DocumentText
{
    /// <summary>Separator between blocks in the composed text.</summary>
    public const string BlockSeparator = "\n\n";

    /// <summary>Composes the body and returns the start offset of every block in it.</summary>
    public static string Compose(IReadOnlyList<TextBlock> blocks, out int[] blockStarts)
    {
        blockStarts = new int[blocks.Count];
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < blocks.Count; i++)
        {
            if (i > 0) sb.Append(BlockSeparator);
            blockStarts[i] = sb.Length;
            sb.Append(blocks[i].RenderedText);
        }
        return sb.ToString();
    }
}
