namespace Search.Service.Security;

/// <summary>
/// What the caller may do: whether the service wants keys, and the presented key's name, actions, collections and
/// expiry. The console shows only what this allows.
/// </summary>
/// <param name="KeysRequired">Whether requests need a key (the service has a master key).</param>
/// <param name="Principal">"master", "key" or "open" (no keys: loopback only, everything allowed).</param>
public sealed record AccessView(bool KeysRequired, string Principal, string? Name, IReadOnlyList<string> Actions, IReadOnlyList<string> Collections, DateTimeOffset? ExpiresAt);

/// <summary><c>GET /access</c>: the caller's own rights, for any valid key.</summary>
public static class AccessEndpoints
{
    /// <summary>Maps the endpoint.</summary>
    public static void Map(WebApplication app) =>
        app.MapGet("/access", (HttpContext context, ServiceSecurityOptions options) =>
        {
            if (options.MasterKey is null) return Results.Ok(new AccessView(false, "open", null, [ApiKeyActions.All], ["*"], null));
            return Results.Ok(AccessControl.KeyOf(context) is { } key
                ? new AccessView(true, "key", key.Name, key.Actions, key.Collections, key.ExpiresAt)
                : new AccessView(true, "master", "master key", [ApiKeyActions.All], ["*"], null));
        }).AnyKey().Documented("access", "What the presented key may do: its actions, collections and expiry").Produces<AccessView>();
}
