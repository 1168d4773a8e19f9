namespace Search.Models.Llama;

/// <summary>An in-context ranking prompt cut into blocks: [instruction][document 1]…[document N][query], as token ids.</summary>
public sealed record BlockRankPrompt(int[] Instruction, IReadOnlyList<int[]> Documents, int[] Query)
{
    /// <summary>All tokens in assembly order.</summary>
    public int[] Tokens => [.. Instruction, .. Documents.SelectMany(d => d), .. Query];

    /// <summary>Position of the first query token in the assembled sequence.</summary>
    public int QueryStart => Instruction.Length + Documents.Sum(d => d.Length);
}
