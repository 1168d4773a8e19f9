namespace Search.Service.Security;

/// <summary>What an API key may do. Each endpoint names the one action it needs; the master key may do all of them.</summary>
public static class ApiKeyActions
{
    /// <summary>Search, read collections and documents, embed.</summary>
    public const string Search = "search";
    /// <summary>Add, replace and delete documents; bulk ingestion.</summary>
    public const string DocumentsWrite = "documents.write";
    /// <summary>Read and cancel tasks.</summary>
    public const string Tasks = "tasks";
    /// <summary>Create, change and delete collections; reindex; the admin views.</summary>
    public const string Admin = "admin";
    /// <summary>Create, list and revoke API keys.</summary>
    public const string Keys = "keys";
    /// <summary>Every action.</summary>
    public const string All = "*";

    /// <summary>The actions a key can be given.</summary>
    public static readonly IReadOnlyList<string> Known = [Search, DocumentsWrite, Tasks, Admin, Keys, All];
}

/// <summary>Endpoint metadata: the action a request needs (collection-scoped when the route has a collection name).</summary>
public sealed record RequiredAction(string Action);

/// <summary>Endpoint metadata: answered without a key (health, the OpenAPI document).</summary>
public sealed record PublicEndpoint;

/// <summary>Endpoint metadata: answered to any valid key, whatever its actions and collections (what the key itself may do).</summary>
public sealed record AnyKeyEndpoint;

/// <summary>Attaches access requirements to endpoints.</summary>
public static class AccessConventions
{
    /// <summary>Requests to these endpoints need a key allowed <paramref name="action"/>.</summary>
    public static TBuilder Requires<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredAction(action));

    /// <summary>These endpoints answer any valid key.</summary>
    public static TBuilder AnyKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AnyKeyEndpoint());

    /// <summary>These endpoints answer without a key.</summary>
    public static TBuilder Public<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PublicEndpoint());
}
