using System.Collections.Concurrent;
using Search.Indexing.Storage;
using Search.Segmentation.Analysis;

namespace Search.Indexing.Statistics;

/// <summary>
/// The statistics each collection has published, as ingestion reads them: one cheap version query per document,
/// and a reload only when a newer version was published (by whichever process indexes the collection).
/// </summary>
public sealed class PublishedStatistics(IDocumentStore store, Analyzer analyzer)
{
    private readonly ConcurrentDictionary<string, (StatisticsVersion Version, CollectionStatistics? Statistics)> _cache = new(StringComparer.Ordinal);

    /// <summary>The collection's current statistics, or null when it has published none (or they are damaged: the next publication replaces them).</summary>
    public async Task<CollectionStatistics?> GetAsync(string collection, CancellationToken ct)
    {
        var version = await store.GetStatisticsVersionAsync(collection, ct);
        if (version.Version == 0) return null;
        if (_cache.TryGetValue(collection, out var cached) && cached.Version == version) return cached.Statistics;
        var stored = await store.GetStatisticsAsync(collection, ct);
        if (stored is null) return null;
        CollectionStatistics? statistics;
        try
        {
            statistics = CollectionStatistics.Deserialize(stored.Payload, analyzer);
        }
        catch (InvalidDataException)
        {
            statistics = null;
        }
        _cache[collection] = (version with { Version = stored.Version }, statistics);
        return statistics;
    }
}
