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
        }).Documented("createKey", "Create an API key (the key is in this answer only)", 400, 409).Produces<ApiKeyView>(StatusCodes.Status201Created);
        keys.MapGet("", (ApiKeyStore store, ServiceSecurityOptions options) =>
        {
            RequireKeys(options);
            return Results.Ok(store.List().Select(k => ApiKeyView.From(k)).ToList());
        }).Documented("listKeys", "Every API key (without the keys themselves)", 409).Produces<List<ApiKeyView>>();
        keys.MapGet("/{uid}", (string uid, ApiKeyStore store, ServiceSecurityOptions options) =>
        {
            RequireKeys(options);
            return Results.Ok(ApiKeyView.From(store.Get(uid) ?? throw new Indexing.Storage.NotFoundException($"no API key '{uid}'")));
        }).Documented("getKey", "One API key", 404, 409).Produces<ApiKeyView>();
        keys.MapDelete("/{uid}", (string uid, ApiKeyStore store, ServiceSecurityOptions options) =>
        {
            RequireKeys(options);
            return store.Delete(uid) ? Results.NoContent() : throw new Indexing.Storage.NotFoundException($"no API key '{uid}'");
        }).Documented("deleteKey", "Revoke an API key", 404, 409).Produces(StatusCodes.Status204NoContent);
    }

    private static void RequireKeys(ServiceSecurityOptions options)
    {
        if (options.MasterKey is null)
            throw new BadHttpRequestException("API keys need a master key: start the service with SEARCH_MASTER_KEY or --master-key-file", StatusCodes.Status409Conflict);
    }
}
