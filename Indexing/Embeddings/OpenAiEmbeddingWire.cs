using System.Net;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Search.Indexing.Embeddings;

/// <summary>Reads OpenAI embeddings responses (float or base64 vectors) and error bodies in the shapes servers use.</summary>
internal static class OpenAiEmbeddingWire
{
    private const int MaxQuotedBody = 500;

    /// <summary>The embeddings of a successful response, ordered by their "index", with the usage it reports.</summary>
    public static (Embedding<float>[] Embeddings, UsageDetails? Usage) ParseResponse(JsonElement root, int expected, string fallbackModel)
    {
        if (!root.TryGetProperty("data", out JsonElement data) || data.ValueKind != JsonValueKind.Array)
            throw new FormatException("the response has no 'data' array");
        string model = root.TryGetProperty("model", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : fallbackModel;
        var result = new Embedding<float>[expected];
        int position = 0;
        foreach (JsonElement item in data.EnumerateArray())
        {
            // Servers may omit "index"; then the array order is the input order.
            int index = item.TryGetProperty("index", out JsonElement i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : position;
            position++;
            if ((uint)index >= (uint)expected || result[index] is not null)
                throw new FormatException($"the response's index {index} is out of range or repeated for {expected} inputs");
            result[index] = new Embedding<float>(ReadVector(item)) { ModelId = model };
        }
        if (position != expected) throw new FormatException($"the response has {position} embeddings for {expected} inputs");
        return (result, ReadUsage(root));
    }

    private static float[] ReadVector(JsonElement item)
    {
        if (!item.TryGetProperty("embedding", out JsonElement e)) throw new FormatException("an item has no 'embedding'");
        if (e.ValueKind == JsonValueKind.String) return EmbeddingVectors.FromBase64(e.GetString()!);
        if (e.ValueKind != JsonValueKind.Array) throw new FormatException("an 'embedding' is neither an array nor a base64 string");
        var vector = new float[e.GetArrayLength()];
        int k = 0;
        foreach (JsonElement v in e.EnumerateArray()) vector[k++] = v.GetSingle();
        return vector;
    }

    private static UsageDetails? ReadUsage(JsonElement root)
    {
        if (!root.TryGetProperty("usage", out JsonElement u) || u.ValueKind != JsonValueKind.Object) return null;
        long? prompt = u.TryGetProperty("prompt_tokens", out JsonElement p) && p.ValueKind == JsonValueKind.Number ? p.GetInt64() : null;
        long? total = u.TryGetProperty("total_tokens", out JsonElement t) && t.ValueKind == JsonValueKind.Number ? t.GetInt64() : null;
        return new UsageDetails { InputTokenCount = prompt, TotalTokenCount = total ?? prompt };
    }

    /// <summary>The message in an error body: OpenAI's {"error": {"message"}}, {"error": "..."}, a problem's detail or
    /// title, else the body's start.</summary>
    public static string? ErrorMessage(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            JsonElement root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out JsonElement error))
                {
                    if (error.ValueKind == JsonValueKind.String) return error.GetString();
                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out JsonElement msg) && msg.ValueKind == JsonValueKind.String)
                        return msg.GetString();
                }
                if (root.TryGetProperty("detail", out JsonElement detail) && detail.ValueKind == JsonValueKind.String) return detail.GetString();
                if (root.TryGetProperty("title", out JsonElement title) && title.ValueKind == JsonValueKind.String) return title.GetString();
            }
        }
        catch (JsonException)
        {
            // Not JSON: quote the text.
        }
        string trimmed = body.Trim();
        return trimmed.Length <= MaxQuotedBody ? trimmed : trimmed[..MaxQuotedBody] + "…";
    }

    /// <summary>Whether a status is worth retrying: rate limiting, a timeout, or a server-side failure.</summary>
    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;
}
