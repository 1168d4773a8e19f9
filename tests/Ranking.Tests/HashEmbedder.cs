using Microsoft.Extensions.AI;

namespace Search.Ranking.Tests;

/// <summary>
/// A deterministic configured model for pipeline tests: each text becomes a hashed bag of its words. It counts the
/// texts it embeds, can be made to fail, and can be held inside a call (a gate the test opens), so a test knows
/// exactly what the dense stage did and when it is mid-embedding.
/// </summary>
internal sealed class HashEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimension = 32;
    private readonly EmbeddingGeneratorMetadata _metadata = new("test", null, "hash", Dimension);
    private int _texts;

    /// <summary>Texts embedded so far.</summary>
    public int Texts => Volatile.Read(ref _texts);

    /// <summary>When set, every call throws.</summary>
    public bool Failing { get; set; }

    /// <summary>When set, a call that would take <see cref="Texts"/> past it throws (a service that goes down mid-run).</summary>
    public int? FailAfter { get; set; }

    /// <summary>When set, a call waits here until it is released (after signalling <see cref="Entered"/>).</summary>
    public SemaphoreSlim? Gate { get; set; }

    /// <summary>When set, only calls made once <see cref="Texts"/> has reached it wait at the <see cref="Gate"/>.</summary>
    public int? HoldFrom { get; set; }

    /// <summary>Completed when a call is held at the gate.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Gate is { } gate && (HoldFrom is not int from || Texts >= from))
        {
            Entered.TrySetResult();
            await gate.WaitAsync(cancellationToken);
            gate.Release();
        }
        if (Failing || (FailAfter is int limit && Texts + values.Count() > limit)) throw new HttpRequestException("the embedding service is down");
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values)
        {
            var vector = new float[Dimension];
            foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                vector[Fnv(word.ToLowerInvariant()) % Dimension] += 1;
            vector[0] += 0.01f;
            result.Add(new Embedding<float>(vector));
            Interlocked.Increment(ref _texts);
        }
        return result;
    }

    private static int Fnv(string word)
    {
        uint h = 2166136261;
        foreach (char c in word) h = (h ^ c) * 16777619;
        return (int)(h & int.MaxValue);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata : null;

    public void Dispose() { }
}
