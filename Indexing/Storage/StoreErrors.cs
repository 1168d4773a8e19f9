namespace Search.Indexing.Storage;

/// <summary>A named thing (collection, document, task) does not exist.</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>A request conflicts with the stored state (for example, a name already taken).</summary>
public sealed class ConflictException(string message) : Exception(message);
