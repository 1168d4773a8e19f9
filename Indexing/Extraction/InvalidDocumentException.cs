namespace Search.Indexing.Extraction;

/// <summary>
/// A document's fields are unusable as given (an id with control characters, a number where text belongs, text that
/// is not valid Unicode): the caller's request is wrong, so the service answers 400, and a bulk item fails with this.
/// </summary>
public sealed class InvalidDocumentException(string message) : Exception(message);

/// <summary>The rules a document id follows.</summary>
public static class DocumentIds
{
    /// <summary>Longest id, in UTF-16 code units.</summary>
    public const int MaxLength = 512;

    /// <summary>Throws <see cref="InvalidDocumentException"/> unless <paramref name="id"/> is 1 to 512 characters of valid text without control characters.</summary>
    public static string Check(string id, string where)
    {
        if (id.Length is 0 or > MaxLength) throw new InvalidDocumentException($"{where}: 'id' must be 1 to {MaxLength} characters");
        for (int i = 0; i < id.Length; i++)
        {
            char c = id[i];
            if (char.IsControl(c)) throw new InvalidDocumentException($"{where}: 'id' holds a control character (U+{(int)c:X4}) at {i}");
            if (char.IsHighSurrogate(c) && i + 1 < id.Length && char.IsLowSurrogate(id[i + 1])) i++;
            else if (char.IsSurrogate(c)) throw new InvalidDocumentException($"{where}: 'id' is not valid Unicode (a lone surrogate at {i})");
        }
        return id;
    }
}
