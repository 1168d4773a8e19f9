using System.Text.Json;
using Microsoft.Extensions.AI;
using Search.Indexing.Embeddings;
using Search.Ranking;
using Search.Indexing.Storage;
using Search.Service.Security;

namespace Search.Service;

/// <summary>An OpenAI-compatible embeddings API over the engine's embedders: POST /v1/embeddings and GET /v1/models.
/// A <c>dimensions</c> below the model's keeps each vector's first components and re-normalises them (Matryoshka-style).</summary>
public static class EmbeddingEndpoints
{
    /// <summary>The most inputs one request may carry (OpenAI's limit).</summary>
    public const int MaxInputs = 2048;

    /// <summary>The longest input in characters when the model cannot count its tokens.</summary>
    public const int MaxInputChars = 1 << 20;

    /// <summary>Maps the endpoints under /v1.</summary>
    public static void Map(WebApplication app)
    {
        var v1 = app.MapGroup("/v1").Requires(ApiKeyActions.Search);
        v1.MapPost("/embeddings", CreateEmbeddings).Documented("openaiCreateEmbeddings", "Embed text (OpenAI's embeddings API)", 400, 404).Produces<EmbeddingList>();
        v1.MapGet("/models", (SearchEngine engine) =>
        {
            var models = new List<ModelView>();
            foreach (string name in engine.Embedders.Names) models.Add(View(name));
            return Results.Ok(new ModelList("list", models));
        }).Documented("openaiListModels", "The embedding models loaded (OpenAI's models API)").Produces<ModelList>();
        v1.MapGet("/models/{**id}", (string id, SearchEngine engine) =>
        {
            Model(engine, id);
            return Results.Ok(View(id));
        }).Documented("openaiGetModel", "One embedding model", 404).Produces<ModelView>();
    }

    private static ModelView View(string name) => new(name, "model", 0, "search");

    private static IEmbeddingGenerator<string, Embedding<float>> Model(SearchEngine engine, string name) =>
        engine.Embedders.TryGet(name, out var generator) ? generator : throw new NotFoundException($"no embedding model '{name}'; GET /v1/models lists them");

    private static async Task<IResult> CreateEmbeddings(EmbeddingsRequest? body, SearchEngine engine, CancellationToken ct)
    {
        if (body is null) throw new ArgumentException("send a JSON body {\"model\": ..., \"input\": ...}");
        string name = string.IsNullOrEmpty(body.Model) ? engine.Embedders.DefaultName : body.Model;
        if (name == EmbedderRegistry.Corpus) throw new ArgumentException("the default embedder is learned per collection; name a model in 'model' (GET /v1/models lists them)");
        bool base64 = body.EncodingFormat switch
        {
            null or "" or "float" => false,
            "base64" => true,
            _ => throw new ArgumentException("encoding_format must be 'float' or 'base64'"),
        };
        var generator = Model(engine, name);
        List<string> inputs = ReadInputs(body.Input);
        int? modelDimensions = generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions;
        if (body.Dimensions is int asked && (asked <= 0 || asked > modelDimensions))
            throw new ArgumentException($"dimensions must be between 1 and the model's {modelDimensions}");
        CheckLengths(generator, inputs);

        var options = body.Dimensions is int d ? new EmbeddingGenerationOptions { Dimensions = d } : null;
        var generated = await generator.GenerateAsync(inputs, options, ct);
        if (generated.Count != inputs.Count)
            throw new InvalidOperationException($"embedder '{name}' returned {generated.Count} vectors for {inputs.Count} inputs");
        var data = new List<EmbeddingItem>(generated.Count);
        for (int i = 0; i < generated.Count; i++)
        {
            ReadOnlySpan<float> vector = generated[i].Vector.Span;
            // A generator that ignores options.Dimensions still answers with the length asked for.
            float[] output = body.Dimensions is int dims && dims != vector.Length ? EmbeddingVectors.Truncate(vector, dims) : vector.ToArray();
            data.Add(new EmbeddingItem("embedding", i, base64 ? EmbeddingVectors.ToBase64(output) : output));
        }
        long tokens = generated.Usage?.InputTokenCount ?? 0;
        return Results.Ok(new EmbeddingList("list", data, name, new EmbeddingUsage(tokens, generated.Usage?.TotalTokenCount ?? tokens)));
    }

    private static List<string> ReadInputs(JsonElement input)
    {
        var inputs = new List<string>();
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                inputs.Add(input.GetString()!);
                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in input.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                        throw new ArgumentException("'input' must be a string or an array of strings (token-id input is not supported)");
                    if (inputs.Count == MaxInputs) throw new ArgumentException($"'input' holds more than {MaxInputs} items; split the request");
                    inputs.Add(item.GetString()!);
                }
                break;
            default:
                throw new ArgumentException("'input' must be a string or an array of strings");
        }
        if (inputs.Count == 0) throw new ArgumentException("'input' is empty");
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i].Length == 0) throw new ArgumentException($"input[{i}] is an empty string");
        return inputs;
    }

    /// <summary>Refuses inputs the model would have to cut, rather than embedding a silently truncated text.</summary>
    private static void CheckLengths(IEmbeddingGenerator<string, Embedding<float>> generator, List<string> inputs)
    {
        var transformer = generator.GetService<TransformerEmbeddingGenerator>();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Length > MaxInputChars)
                throw new ArgumentException($"input[{i}] has {inputs[i].Length} characters; the limit is {MaxInputChars}");
            if (transformer is null) continue;
            int tokens = transformer.CountTokens(inputs[i]);
            if (tokens > transformer.MaxTokens)
                throw new ArgumentException($"input[{i}] has {tokens} tokens; model '{transformer.ModelId}' reads at most {transformer.MaxTokens}");
        }
    }
}
