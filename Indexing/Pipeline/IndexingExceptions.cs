namespace Search.Indexing.Pipeline;

/// <summary>A stage keeps failing, so what was asked to become searchable cannot be promised (the service answers 503).</summary>
public sealed class IndexingFailedException(string message) : Exception(message);

/// <summary>The index cannot be read now: its owner is rebuilding it, or it is damaged (the service answers 503).</summary>
public sealed class IndexUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
