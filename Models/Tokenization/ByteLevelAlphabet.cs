namespace Search.Models.Tokenization;

/// <summary>GPT-2's reversible byte → printable-character map that byte-level BPE vocabularies are written in.</summary>
public static class ByteLevelAlphabet
{
    /// <summary>The character standing for each byte value.</summary>
    public static IReadOnlyList<char> ByteToChar { get; } = Build();

    private static char[] Build()
    {
        var map = new char[256];
        var direct = new bool[256];
        // printable Latin-1 bytes stand for themselves; the rest are shifted past 255 in byte order
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int next = 256;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char)b : (char)next++;
        return map;
    }
}
