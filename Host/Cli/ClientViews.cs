using Search.Client;
using Search.Indexing.Storage;
using Search.Ranking;
using Search.Ranking.Collections;
using Collection = Search.Client.Collection;

namespace Search.Cli;

/// <summary>
/// The engine's answers in the shapes the REST API (and so <see cref="SearchClient"/>) gives them, so a verb prints
/// one way whether it opened the store or asked a running service.
/// </summary>
public static class ClientViews
{
    /// <summary>A search response.</summary>
    public static SearchResult From(SearchResponse r)
    {
        var hits = new List<Client.SearchHit>(r.Hits.Count);
        foreach (var h in r.Hits)
            hits.Add(new Client.SearchHit(h.Rank, h.DocumentId, h.Title, h.Segment, h.Text, h.SectionPath, h.StartSeconds, h.EndSeconds, h.Speaker, h.Score, h.Components,
                h.Chapter is { } c ? new Client.Chapter(c.Ordinal, c.Title, c.StartSeconds, c.EndSeconds) : null,
                h.Answer is { } a ? new Client.AnswerSpan(a.Start, a.End) : null));
        return new SearchResult(r.Query, r.Mode, hits, r.TookMs, new SearchIndex(r.Index.Generation, r.Index.LatestChange, r.Index.Lexical, r.Index.Dense), r.Warnings);
    }

    /// <summary>A collection with its indexes.</summary>
    public static Collection From(CollectionView c)
    {
        CollectionIndex? index = null;
        if (c.Index is { } i)
        {
            var stages = new List<IndexingStage>(i.Stages.Count);
            foreach (var s in i.Stages) stages.Add(new IndexingStage(s.Name, s.Documents, s.Sequence, s.Checkpoint, s.PendingChanges, s.Progress, s.Error, s.Segments));
            index = new CollectionIndex(i.Generation, i.Owned, stages);
        }
        return new Collection(c.Name, c.Documents, c.CreatedAt, c.Embedder, c.LatestChange, c.Segments, index);
    }

    /// <summary>A task's counts.</summary>
    public static BulkTask From(IngestTask t) =>
        new(t.Id, t.Collection, t.State.ToString().ToLowerInvariant(), t.Total, t.Done, t.Failed, t.CancelRequested, t.Error, t.CreatedAt);

    /// <summary>A task with its errors and what of it is searchable.</summary>
    public static TaskDetails From(TaskView v)
    {
        var errors = new List<Client.TaskItemError>(v.Errors.Count);
        foreach (var e in v.Errors) errors.Add(new Client.TaskItemError(e.Item, e.Input, e.Error));
        return new TaskDetails(From(v.Task), errors, v.Searchable, v.Segments, v.SearchableSegments);
    }
}
