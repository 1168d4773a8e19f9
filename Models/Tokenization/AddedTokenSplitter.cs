namespace Search.Models.Tokenization;

/// <summary>Cuts text at added-token occurrences, leftmost first and longest at a position, as HF's AddedVocabulary does.
/// Every added token is matched in the raw text, also those marked "normalized" (HF matches those after normalizing).</summary>
internal sealed class AddedTokenSplitter(IReadOnlyList<AddedToken> tokens)
{
    private readonly AddedToken[] _byLength = [.. tokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length)];

    /// <summary>Calls <paramref name="onText"/> for each stretch of plain text (with its offset in <paramref name="text"/>) and <paramref name="onToken"/> for each added token, in order.</summary>
    public void Split(string text, Action<string, int> onText, Action<AddedToken> onToken)
    {
        if (_byLength.Length == 0)
        {
            onText(text, 0);
            return;
        }
        int last = 0, i = 0;
        while (i < text.Length)
        {
            AddedToken? hit = Match(text, i);
            if (hit is null)
            {
                i++;
                continue;
            }
            int textEnd = i;
            if (hit.LeftStrip) while (textEnd > last && char.IsWhiteSpace(text[textEnd - 1])) textEnd--;
            if (textEnd > last) onText(text[last..textEnd], last);
            onToken(hit);
            i += hit.Content.Length;
            if (hit.RightStrip) while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            last = i;
        }
        if (last < text.Length) onText(text[last..], last);
    }

    private AddedToken? Match(string text, int at)
    {
        foreach (AddedToken t in _byLength)
            if (at + t.Content.Length <= text.Length && string.CompareOrdinal(text, at, t.Content, 0, t.Content.Length) == 0)
                return t;
        return null;
    }
}
