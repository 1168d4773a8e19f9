using System.Collections.Concurrent;
using System.Text.Json;
using Search.Indexing.Storage;

namespace Search.Indexing.Pipeline;

/// <summary>What a hit shows of its document, and what filters read, without a store round trip.</summary>
public sealed record DocumentInfo(string ExternalId, string Title, JsonElement Metadata)
{
    /// <summary>From the stored record.</summary>
    public static DocumentInfo From(StoredDocument d)
    {
        using var meta = JsonDocument.Parse(d.MetadataJson);
        return new DocumentInfo(d.ExternalId, d.Title, meta.RootElement.Clone());
    }
}

/// <summary>The documents of a generation by internal id, kept by its lexical stage as it applies changes.</summary>
public sealed class DocumentTable
{
    private readonly ConcurrentDictionary<long, DocumentInfo> _byId = new();

    /// <summary>Documents in the table.</summary>
    public int Count => _byId.Count;

    /// <summary>The document with internal id <paramref name="id"/>, if the generation has it.</summary>
    public bool TryGet(long id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DocumentInfo? info) => _byId.TryGetValue(id, out info);

    /// <summary>Adds or replaces a document.</summary>
    public void Put(StoredDocument document) => _byId[document.Id] = DocumentInfo.From(document);

    /// <summary>Forgets a document.</summary>
    public void Remove(long id) => _byId.TryRemove(id, out _);

    /// <summary>Fills the table with every document of the collection (a generation opened from disk).</summary>
    public async Task LoadAsync(IDocumentStore store, string collection, CancellationToken ct)
    {
        const int page = 1000;
        long afterId = 0;
        while (true)
        {
            var documents = await store.GetDocumentsAfterAsync(collection, afterId, page, ct);
            if (documents.Count == 0) return;
            foreach (var d in documents) Put(d);
            afterId = documents[^1].Id;
        }
    }
}
