using Search.Indexing.Embeddings;
using Search.Indexing.Statistics;
using Search.Indexing.Storage;
using Search.Segmentation.Analysis;

namespace Search.Indexing.Pipeline;

/// <summary>
/// The last stage: publishes the collection's statistics to the store — how common its words are (from the lexical
/// index) and word classes (from the dense index's learned embedder, or, when a model embeds, from an LSA learned
/// from the collection's segments for the purpose) — which ingestion segments new
/// documents with, whatever process ingests them. It publishes when there are none, when the dense stage learned a
/// new embedder, and when <see cref="IndexingOptions.RelearnAfter"/> of the documents have been written since the
/// last publication; otherwise a step costs one count query. Its position is what the published statistics reflect;
/// a publication is durable when the store commits it.
/// </summary>
public sealed class StatisticsStage(IndexGeneration generation, IDocumentStore store, IndexingOptions options) : IndexingStage
{
    private StoredStatistics? _published;
    private int _wordClasses;
    private bool _loaded;

    /// <summary>The stage's name.</summary>
    public const string StageName = "statistics";

    /// <inheritdoc />
    public override string Name => StageName;

    /// <inheritdoc />
    public override long Documents => _published?.Documents ?? 0;

    /// <summary>Word classes in the last publication this stage made or found (0 when none).</summary>
    public int WordClasses => _wordClasses;

    /// <inheritdoc />
    protected override async Task<bool> StepCoreAsync(ChangeFeed feed, CancellationToken ct)
    {
        if (!_loaded)
        {
            _published = await store.GetStatisticsAsync(feed.Collection, ct);
            if (_published is not null)
            {
                Resume(_published.Through);
                try { _wordClasses = CollectionStatistics.Deserialize(_published.Payload, options.Analyzer).WordClasses?.Count ?? 0; }
                catch (InvalidDataException) { _published = null; } // damaged: published anew
            }
            _loaded = true;
        }
        var lexical = generation.Lexical;
        long through = generation.LexicalStage?.Position ?? lexical.CommittedSequence;
        if (through == 0 || lexical.SegmentCount == 0) return false;
        var dense = generation.Dense;
        string embedder = dense?.EmbedderTag ?? "none";
        if (_published is not null && _published.Embedder == embedder)
        {
            long written = await store.CountChangesAsync(feed.Collection, _published.Through, ct);
            if (written <= options.RelearnAfter * Math.Max(1, _published.Documents)) return false;
        }
        // A model has no word vectors of the collection's: the classes then come from an LSA learned here from its segments.
        var texts = dense is { Embedder.IsLearned: false } ? await SegmentTextsAsync(feed, ct) : null;
        var statistics = await Task.Run(() =>
        {
            var (segments, terms) = lexical.TermStatistics(CollectionStatistics.MaxTerms, CollectionStatistics.MinimumFrequency);
            WordClasses? classes = null;
            if (dense?.Embedder.Corpus is { } corpus) classes = WordClassLearner.Learn(corpus, dense.LearnedSegments, cancellationToken: ct);
            else if (texts is { Count: > 0 })
                classes = WordClassLearner.Learn(CorpusEmbedderTrainer.Train(texts, new CorpusEmbedderOptions(), options.Analyzer), texts.Count, cancellationToken: ct);
            return new CollectionStatistics(segments, terms, classes, options.Analyzer);
        }, ct);
        var write = new StatisticsWrite(through, generation.Documents.Count, embedder, statistics.Serialize());
        int version = await store.PutStatisticsAsync(feed.Collection, write, ct);
        _published = new StoredStatistics(version, write.Through, write.Documents, write.Embedder, write.Payload, DateTimeOffset.UtcNow);
        _wordClasses = statistics.WordClasses?.Count ?? 0;
        Advance(through, 0);
        Commit();
        return true;
    }

    private static async Task<List<string>> SegmentTextsAsync(ChangeFeed feed, CancellationToken ct)
    {
        var texts = new List<string>();
        await feed.SnapshotAsync((page, _) =>
        {
            foreach (var d in page)
                foreach (var s in d.Segments) texts.Add(IndexedForms.Text(s.Segment));
            return Task.CompletedTask;
        }, ct);
        return texts;
    }

    /// <inheritdoc />
    protected override void CommitAt(long sequence)
    {
        // The store committed the publication.
    }
}
