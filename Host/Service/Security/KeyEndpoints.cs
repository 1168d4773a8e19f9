namespace Search.Service.Security;

/// <summary><c>/keys</c>: create, list, show and revoke API keys (the <c>keys</c> action; with no master key there are no keys to manage).</summary>
public static class KeyEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        var keys = app.MapGroup("/keys").Requires(ApiKeyActions.Keys);
        keys.MapPost("", (CreateKeyRequest body, ApiKeyStore store, ServiceSecurityOptions options, TimeProvider clock) =>
        {
            RequireKeys(options);
            var (key, plain) = store.Create(body, clock.GetUtcNow());
            return Results.Created($"/keys/{key.Uid}", ApiKeyView.From(key, plain));
        });
        keys.MapGet("", (ApiKeyStore store, ServiceSecurityOptions options) =>
        {
            RequireKeys(options);
            return Results.Ok(store.List().Select(k => ApiKeyView.From(k)).ToList());
        });
        keys.MapGet("/{uid}", (string uid, ApiKeyStore store, ServiceSecurityOptions options) =>
        {
            RequireKeys(options);
            return Results.Ok(ApiKeyView.From(store.Get(uid) ?? throw new Indexing.Storage.NotFoundException($"no API key '{uid}'")));
        });
        keys.MapDelete("/{uid}", (string uid, ApiKeyStore store, ServiceSecurityOptions options) =>
        {
            RequireKeys(options);
            return store.Delete(uid) ? Results.NoContent() : throw new Indexing.Storage.NotFoundException($"no API key '{uid}'");
        });
    }

    private static void RequireKeys(ServiceSecurityOptions options)
    {
        if (options.MasterKey is null)
            throw new BadHttpRequestException("API keys need a master key: start the service with SEARCH_MASTER_KEY or --master-key-file", StatusCodes.Status409Conflict);
    }
}
