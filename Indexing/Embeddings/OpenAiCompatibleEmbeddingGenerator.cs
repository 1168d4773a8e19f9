using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Search.Indexing.Embeddings;

/// <summary>An embedder that calls an OpenAI-compatible embeddings endpoint (OpenAI, vLLM, Ollama, TEI, our own
/// /v1/embeddings): batched requests, retries with backoff on 429, 5xx and connection failures, float or base64 vectors.</summary>
public sealed class OpenAiCompatibleEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OpenAiEmbeddingOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _url;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>A client for <paramref name="options"/>' endpoint; <paramref name="http"/> is used and left open when
    /// given (e.g. from IHttpClientFactory), otherwise the generator owns one.</summary>
    public OpenAiCompatibleEmbeddingGenerator(OpenAiEmbeddingOptions options, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        _options = options;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
        string baseAddress = options.Endpoint.ToString();
        // Without the trailing slash "embeddings" would replace the last path segment (".../v1" → ".../embeddings").
        _url = new Uri(new Uri(baseAddress.EndsWith('/') ? baseAddress : baseAddress + "/"), "embeddings");
        _metadata = new EmbeddingGeneratorMetadata("openai-compatible", options.Endpoint, options.Model, options.Dimensions);
    }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        List<string> texts = [.. values];
        string model = options?.ModelId ?? _options.Model;
        int? dimensions = options?.Dimensions ?? _options.Dimensions;
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        UsageDetails? usage = null;
        for (int start = 0; start < texts.Count; start += _options.BatchSize)
        {
            List<string> batch = texts.GetRange(start, Math.Min(_options.BatchSize, texts.Count - start));
            var (embeddings, batchUsage) = await SendWithRetriesAsync(batch, model, dimensions, cancellationToken);
            result.AddRange(embeddings);
            if (batchUsage is not null)
            {
                usage ??= new UsageDetails();
                usage.Add(batchUsage);
            }
        }
        result.Usage = usage;
        return result;
    }

    private async Task<(Embedding<float>[], UsageDetails?)> SendWithRetriesAsync(List<string> batch, string model, int? dimensions, CancellationToken ct)
    {
        var body = new Dictionary<string, object>
        {
            ["model"] = model,
            ["input"] = batch,
            ["encoding_format"] = _options.Base64 ? "base64" : "float",
        };
        if (dimensions is int d) body["dimensions"] = d;
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = JsonContent.Create(body) };
            if (!string.IsNullOrEmpty(_options.ApiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (Exception e) when (attempt < _options.MaxRetries && !ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException)
            {
                // A refused connection or an HttpClient timeout: the next attempt may well succeed.
                await Task.Delay(Backoff(attempt, null), ct);
                continue;
            }
            using (response)
            {
                if (response.IsSuccessStatusCode) return await ReadAsync(response, batch.Count, model, ct);
                if (attempt < _options.MaxRetries && OpenAiEmbeddingWire.IsTransient(response.StatusCode))
                {
                    await Task.Delay(Backoff(attempt, response.Headers.RetryAfter), ct);
                    continue;
                }
                throw await ErrorAsync(response, attempt, ct);
            }
        }
    }

    private async Task<(Embedding<float>[], UsageDetails?)> ReadAsync(HttpResponseMessage response, int expected, string model, CancellationToken ct)
    {
        try
        {
            await using Stream stream = await response.Content.ReadAsStreamAsync(ct);
            using JsonDocument doc = await JsonDocument.ParseAsync(stream, default, ct);
            return OpenAiEmbeddingWire.ParseResponse(doc.RootElement, expected, model);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new EmbeddingServiceException($"{_url} answered {(int)response.StatusCode} with a body that is not an embeddings response: {e.Message}",
                response.StatusCode, null, e);
        }
    }

    private async Task<EmbeddingServiceException> ErrorAsync(HttpResponseMessage response, int retries, CancellationToken ct)
    {
        string text = await response.Content.ReadAsStringAsync(ct);
        string? message = OpenAiEmbeddingWire.ErrorMessage(text);
        string after = retries > 0 ? $" after {retries} retries" : "";
        return new EmbeddingServiceException(
            $"{_url} answered {(int)response.StatusCode} {response.ReasonPhrase}{after}: {message ?? "(no message)"}", response.StatusCode, message);
    }

    private TimeSpan Backoff(int attempt, RetryConditionHeaderValue? retryAfter)
    {
        TimeSpan? asked = retryAfter?.Delta ?? (retryAfter?.Date is DateTimeOffset date ? date - DateTimeOffset.UtcNow : null);
        if (asked is TimeSpan wait && wait > TimeSpan.Zero) return wait < _options.MaxBackoff ? wait : _options.MaxBackoff;
        double exponential = _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt);
        // Jitter keeps many clients throttled together from retrying in lockstep.
        double jittered = Math.Min(exponential, _options.MaxBackoff.TotalMilliseconds) * (0.5 + 0.5 * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(jittered);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(HttpClient)) return _http;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
