namespace Search.Indexing.Extraction;

/// <summary>The input cannot be turned into a document; the message says why, for the person who sent it.</summary>
public sealed class ExtractionException(string message) : Exception(message);
