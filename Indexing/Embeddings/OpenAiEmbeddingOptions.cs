namespace Search.Indexing.Embeddings;

/// <summary>Where and how <see cref="OpenAiCompatibleEmbeddingGenerator"/> reaches an OpenAI-compatible embeddings endpoint.</summary>
public sealed record OpenAiEmbeddingOptions
{
    /// <summary>The API's base address, e.g. https://api.openai.com/v1/ or http://127.0.0.1:8080/v1/; requests go to its "embeddings".</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The model to ask for.</summary>
    public required string Model { get; init; }

    /// <summary>Sent as a bearer token when set.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Inputs per request (OpenAI accepts up to 2048).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Retries of one request after a 429, a 5xx, a connection failure or a timeout.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first retry's wait; it doubles per retry (with jitter) up to <see cref="MaxBackoff"/>; a server's Retry-After wins.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between retries.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ask for base64 vectors (a third of the bytes of JSON floats and exact); false asks for float arrays.</summary>
    public bool Base64 { get; init; } = true;

    /// <summary>Dimensions to ask for when the call's options name none (models that support shortening).</summary>
    public int? Dimensions { get; init; }
}
