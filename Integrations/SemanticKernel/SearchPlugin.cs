using System.ComponentModel;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Data;

namespace Search.SemanticKernel;

/// <summary>A kernel plugin over one collection: its function finds the passages that answer a question, each with where it sits and a citation link.</summary>
public sealed class SearchPlugin(CollectionTextSearch search)
{
    /// <summary>The most passages one call returns.</summary>
    public const int MaxCount = 50;

    /// <summary>The passages of the collection that best answer <paramref name="query"/>.</summary>
    [KernelFunction("search")]
    [Description("Finds the passages of the document collection that answer a question. Each passage has its text, document, section path or chapter, times for transcripts, and a link to cite.")]
    public Task<IReadOnlyList<Passage>> SearchAsync(
        [Description("The question or keywords to search for.")] string query,
        [Description("How many passages to return (1 to 50).")] int count = 5,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(query)) throw new ArgumentException("The query is empty.", nameof(query));
        if (count is < 1 or > MaxCount) throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be between 1 and {MaxCount}.");
        return search.SearchPassagesAsync(query, new TextSearchOptions<Passage> { Top = count }, cancellationToken);
    }
}
