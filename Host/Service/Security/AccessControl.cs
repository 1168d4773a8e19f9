namespace Search.Service.Security;

/// <summary>
/// The request gate in front of every endpoint: the Host header against the allowed hosts (no DNS rebinding),
/// browser writes from other origins refused, then, with a master key, the bearer key checked against the
/// endpoint's action and collection. Refusals are problem+json.
/// </summary>
public sealed class AccessControl(ServiceSecurityOptions options, ApiKeyStore keys, TimeProvider clock)
{
    /// <summary>Where the resolved key's uid (or "master") is left for the rate limiter.</summary>
    public const string PrincipalItem = "search.principal";

    private const string KeyItem = "search.key";

    /// <summary>The API key the request was made with; null for the master key or when keys are off.</summary>
    public static ApiKey? KeyOf(HttpContext context) => context.Items.TryGetValue(KeyItem, out var key) ? key as ApiKey : null;

    private readonly IReadOnlyList<string> _hosts = options.EffectiveAllowedHosts;

    /// <summary>The middleware.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!HostAllowed(context.Request.Host))
        {
            await Refuse(context, StatusCodes.Status400BadRequest, "Bad request", $"the Host header '{context.Request.Host}' is not one this service answers to");
            return;
        }
        if (CrossOriginWrite(context.Request) is { } origin)
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "Forbidden", $"pages from {origin} may not change this service (not a configured CORS origin)");
            return;
        }
        var endpoint = context.GetEndpoint();
        if (options.MasterKey is null || endpoint is null || endpoint.Metadata.GetMetadata<PublicEndpoint>() is not null)
        {
            await next(context);
            return;
        }

        string? presented = Bearer(context.Request);
        if (presented is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Refuse(context, StatusCodes.Status401Unauthorized, "Unauthorized", "send an API key as 'Authorization: Bearer <key>'");
            return;
        }
        string action = endpoint.Metadata.GetMetadata<RequiredAction>()?.Action ?? ApiKeyActions.Keys; // unmarked endpoints: the master key only
        if (ApiKeyStore.SameSecret(presented, options.MasterKey))
        {
            context.Items[PrincipalItem] = "master";
            await next(context);
            return;
        }
        var key = keys.Find(presented);
        if (key is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await Refuse(context, StatusCodes.Status401Unauthorized, "Unauthorized", "the API key is not valid");
            return;
        }
        if (key.ExpiredAt(clock.GetUtcNow()))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await Refuse(context, StatusCodes.Status401Unauthorized, "Unauthorized", $"the API key '{key.Name}' expired at {key.ExpiresAt:u}");
            return;
        }
        bool anyKey = endpoint.Metadata.GetMetadata<AnyKeyEndpoint>() is not null;
        if (!anyKey && !key.Allows(action))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "Forbidden", $"the API key '{key.Name}' may not do '{action}'");
            return;
        }
        if (!anyKey && context.Request.RouteValues.TryGetValue("name", out var routeName) && routeName is string collection && !key.Reaches(collection))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "Forbidden", $"the API key '{key.Name}' does not reach the collection '{collection}'");
            return;
        }
        context.Items[PrincipalItem] = key.Uid;
        context.Items[KeyItem] = key;
        await next(context);
    }

    private bool HostAllowed(HostString host)
    {
        if (!host.HasValue) return false;
        foreach (string allowed in _hosts)
            if (allowed == "*" || string.Equals(allowed, host.Host, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>The origin of a state-changing browser request from another site, or null when it is allowed.</summary>
    private string? CrossOriginWrite(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)) return null;
        string? origin = request.Headers.Origin;
        if (string.IsNullOrEmpty(origin)) return null; // not a browser's cross-origin request
        if (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)) return null;
        foreach (string allowed in options.CorsOrigins)
            if (string.Equals(allowed.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase)) return null;
        return origin;
    }

    private static string? Bearer(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        string token = header[7..].Trim();
        return token.Length == 0 ? null : token;
    }

    private static Task Refuse(HttpContext context, int status, string title, string detail) => ProblemMapping.WriteErrorAsync(context, status, title, detail);
}
