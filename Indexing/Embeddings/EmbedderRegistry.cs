using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;
using Search.Indexing.Storage;

namespace Search.Indexing.Embeddings;

/// <summary>The engine's embedders by name (model directories, corpus-learned embedders, remote endpoints), safe to
/// read and change from any thread.</summary>
public sealed class EmbedderRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, IEmbeddingGenerator<string, Embedding<float>>> _byName = new(StringComparer.Ordinal);

    /// <summary>A registry holding the model in <paramref name="directory"/> under its directory name; empty when it is null.</summary>
    public static EmbedderRegistry Configured(string? directory)
    {
        var registry = new EmbedderRegistry();
        if (string.IsNullOrEmpty(directory)) return registry;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"the embedding model directory {directory} does not exist");
        var generator = TransformerEmbeddingGenerator.Load(directory);
        registry.Register(generator.ModelId, generator);
        registry.DirectoryModel = generator;
        return registry;
    }

    /// <summary>The model read from the configured directory, if any: collections' dense vectors are made with it.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? DirectoryModel { get; private set; }

    /// <summary>Adds <paramref name="generator"/> as <paramref name="name"/>, replacing any earlier one, and returns the
    /// replaced generator: requests may still be using it, so its disposal is the caller's. The registry disposes what it
    /// holds when it is disposed.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Register(string name, IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(generator);
        IEmbeddingGenerator<string, Embedding<float>>? previous = null;
        _byName.AddOrUpdate(name, generator, (_, old) =>
        {
            previous = old;
            return generator;
        });
        return previous;
    }

    /// <summary>Takes <paramref name="name"/> out of the registry and returns its generator (the caller's to dispose), or null.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Remove(string name) => _byName.TryRemove(name, out var generator) ? generator : null;

    /// <summary>The generator registered as <paramref name="name"/>, if any.</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out IEmbeddingGenerator<string, Embedding<float>>? generator) =>
        _byName.TryGetValue(name, out generator);

    /// <summary>The generator registered as <paramref name="name"/>; <see cref="NotFoundException"/> if there is none.</summary>
    public IEmbeddingGenerator<string, Embedding<float>> Get(string name) =>
        TryGet(name, out var generator) ? generator : throw new NotFoundException($"no embedding model '{name}'");

    /// <summary>The registered names in ordinal order.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            var names = new List<string>(_byName.Keys);
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (string name in _byName.Keys)
            if (_byName.TryRemove(name, out var generator)) generator.Dispose();
    }
}
