using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel.Data;
using Search.Client;

namespace Search.SemanticKernel;

/// <summary>
/// One collection of a Search service as Semantic Kernel text search: <see cref="ITextSearch{TRecord}"/> results are
/// the collection's passages, restricted to documents whose metadata equals the search's fixed filters.
/// </summary>
public sealed class CollectionTextSearch : ITextSearch<Passage>
{
    private readonly SearchClient _client;
    private readonly Uri _baseAddress;

    private readonly IReadOnlyDictionary<string, string>? _filters;

    /// <summary>
    /// Searches <paramref name="collection"/> through <paramref name="client"/> in <paramref name="mode"/> (bm25, dense,
    /// situated, hybrid, ranked), over the documents whose metadata holds every key of <paramref name="filters"/> with its value.
    /// </summary>
    public CollectionTextSearch(SearchClient client, string collection, string mode = "hybrid", IReadOnlyDictionary<string, string>? filters = null)
    {
        _filters = filters is { Count: > 0 } ? filters : null;
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        _client = client;
        _baseAddress = client.BaseAddress;
        Collection = collection;
        Mode = mode;
    }

    /// <summary>The collection searched.</summary>
    public string Collection { get; }

    /// <summary>The search mode.</summary>
    public string Mode { get; }

    /// <summary>The top passages for <paramref name="query"/>, after <see cref="TextSearchOptions.Skip"/> of them.</summary>
    public async Task<IReadOnlyList<Passage>> SearchPassagesAsync(string query, TextSearchOptions<Passage>? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TextSearchOptions<Passage>();
        if (options.Top < 0 || options.Skip < 0) throw new ArgumentOutOfRangeException(nameof(options), "Top and Skip cannot be negative.");
        // The service filters on document metadata, which a passage does not carry, so an expression over passages has
        // nothing to translate to: refused rather than silently ignored. Metadata filters are the constructor's.
        if (options.Filter is not null) throw new NotSupportedException("Filter passages with the search's metadata filters (its constructor), not an expression.");
        if (options.Top == 0) return [];
        var result = await _client.SearchAsync(Collection, new SearchQuery(query, options.Top + options.Skip, Mode, Filters: _filters), cancellationToken);
        var passages = new List<Passage>(Math.Max(0, result.Hits.Count - options.Skip));
        for (int i = options.Skip; i < result.Hits.Count; i++) passages.Add(Passage.FromHit(result.Hits[i], Collection, _baseAddress));
        return passages;
    }

    /// <inheritdoc />
    public async Task<KernelSearchResults<string>> SearchAsync(string query, TextSearchOptions<Passage>? searchOptions = null, CancellationToken cancellationToken = default) =>
        new(Each(await SearchPassagesAsync(query, searchOptions, cancellationToken), p => p.ToString(), cancellationToken));

    /// <inheritdoc />
    public async Task<KernelSearchResults<TextSearchResult>> GetTextSearchResultsAsync(string query, TextSearchOptions<Passage>? searchOptions = null, CancellationToken cancellationToken = default) =>
        new(Each(await SearchPassagesAsync(query, searchOptions, cancellationToken), p => new TextSearchResult(p.Text) { Name = p.Location, Link = p.Link }, cancellationToken));

    /// <inheritdoc />
    public async Task<KernelSearchResults<Passage>> GetSearchResultsAsync(string query, TextSearchOptions<Passage>? searchOptions = null, CancellationToken cancellationToken = default) =>
        new(Each(await SearchPassagesAsync(query, searchOptions, cancellationToken), p => p, cancellationToken));

    private static async IAsyncEnumerable<T> Each<T>(IReadOnlyList<Passage> passages, Func<Passage, T> map, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var passage in passages)
        {
            ct.ThrowIfCancellationRequested();
            yield return map(passage);
        }
        await Task.CompletedTask;
    }
}
