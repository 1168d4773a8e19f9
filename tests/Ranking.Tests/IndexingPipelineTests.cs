using Search.Indexing.Pipeline;
using Search.TestSupport;

namespace Search.Ranking.Tests;

/// <summary>
/// The indexing pipeline as a whole: each stage resumes from its own checkpoint after a stop at any stage boundary,
/// without redoing or losing work, and queries only ever read — during a long indexing run they answer at once with
/// what is searchable.
/// </summary>
public sealed class IndexingPipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly HashEmbedder _model = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>On demand, a checkpoint after every step, batches of ten changes, dense vectors from the test's model.</summary>
    private Task<SearchEngine> OpenOnDemandAsync() => SearchEngine.OpenAsync(EngineTest.OnDemand(_dir.Path) with
    {
        EmbeddingModel = _model,
        DefaultEmbedder = null,
        Indexing = EngineTest.OnDemand(_dir.Path).Indexing with { BatchChanges = 10 },
    });

    private static async Task AddAsync(SearchEngine engine, int from, int to)
    {
        for (int i = from; i < to; i++) await TestDocuments.AddAsync(engine, "d" + i, $"document number n{i} about topic t{i % 3}");
    }

    private static async Task<IReadOnlyList<StageStatus>> StagesAsync(SearchEngine engine) => (await engine.Indexes.StatusAsync("c", default)).Serving.Stages;

    private static long Stage(IReadOnlyList<StageStatus> stages, string name, Func<StageStatus, long> read) => read(stages.Single(s => s.Name == name));

    /// <summary>Every document is found exactly once by its own word, through BM25 and through the dense side.</summary>
    private static async Task AssertAllSearchableOnceAsync(SearchEngine engine, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var bm25 = (await engine.Search.SearchAsync("c", new SearchRequest("n" + i, 10))).Hits;
            Assert.Equal(["d" + i], bm25.Select(h => h.DocumentId));
        }
        var dense = (await engine.Search.SearchAsync("c", new SearchRequest("document", 1000, GroupByDocument: true, Mode: SearchModes.Dense))).Hits;
        Assert.Equal(count, dense.Select(h => h.DocumentId).Distinct().Count());
    }

    [Fact]
    public async Task A_stop_at_each_stage_boundary_resumes_from_its_checkpoint_without_redoing_or_losing_work()
    {
        // Boundary 1: the lexical stage has committed everything, the dense stage nothing (its model is down).
        long afterFirst;
        int published;
        await using (var engine = await OpenOnDemandAsync())
        {
            await engine.Store.CreateCollectionAsync("c");
            await AddAsync(engine, 0, 30);
            afterFirst = await engine.Store.GetLastChangeAsync("c");
            _model.Failing = true;
            await Assert.ThrowsAsync<HttpRequestException>(() => engine.Indexes.CatchUpAsync("c", default));
            var stages = await StagesAsync(engine);
            Assert.Equal(afterFirst, Stage(stages, LexicalStage.StageName, s => s.Checkpoint));
            Assert.Equal(0, Stage(stages, DenseStage.StageName, s => s.Checkpoint));
            // Nothing is applied and uncommitted, so stopping here is the same as being killed here.
            Assert.All(stages, s => Assert.Equal(s.Sequence, s.Checkpoint));
            // BM25 answers already; the dense side says it is not built.
            Assert.Single((await engine.Search.SearchAsync("c", new SearchRequest("n7"))).Hits);
            Assert.NotEmpty((await engine.Search.SearchAsync("c", new SearchRequest("n7", Mode: SearchModes.Hybrid))).Warnings);
        }
        _model.Failing = false;
        int textsBefore = _model.Texts;
        await using (var engine = await OpenOnDemandAsync())
        {
            await engine.Indexes.CatchUpAsync("c", default);
            var stages = await StagesAsync(engine);
            Assert.Equal(0, Stage(stages, LexicalStage.StageName, s => s.Applied)); // resumed at its checkpoint: nothing redone
            Assert.Equal(30, Stage(stages, DenseStage.StageName, s => s.Applied));
            Assert.Equal(60, _model.Texts - textsBefore); // each segment once, plain and situated
            await AssertAllSearchableOnceAsync(engine, 30);

            // Boundary 2, inside the dense stage: its first batch of the new writes is committed, the second fails.
            await AddAsync(engine, 30, 60);
            _model.FailAfter = _model.Texts + 20; // the first batch of ten documents embeds, the second fails
            await Assert.ThrowsAsync<HttpRequestException>(() => engine.Indexes.CatchUpAsync("c", default));
            stages = await StagesAsync(engine);
            long lexicalAt = Stage(stages, LexicalStage.StageName, s => s.Checkpoint), denseAt = Stage(stages, DenseStage.StageName, s => s.Checkpoint);
            Assert.Equal(await engine.Store.GetLastChangeAsync("c"), lexicalAt);
            Assert.InRange(denseAt, afterFirst + 1, lexicalAt - 1);
            Assert.All(stages, s => Assert.Equal(s.Sequence, s.Checkpoint));
        }
        _model.FailAfter = null;
        textsBefore = _model.Texts;
        await using (var engine = await OpenOnDemandAsync())
        {
            long denseAtOpen = Stage(await StagesAsync(engine), DenseStage.StageName, s => s.Checkpoint);
            long missing = await engine.Store.CountChangesAsync("c", denseAtOpen);
            await engine.Indexes.CatchUpAsync("c", default);
            var stages = await StagesAsync(engine);
            Assert.Equal(0, Stage(stages, LexicalStage.StageName, s => s.Applied));
            Assert.Equal(missing, Stage(stages, DenseStage.StageName, s => s.Applied)); // only what its checkpoint had not reached
            Assert.Equal(2 * missing, _model.Texts - textsBefore);
            await AssertAllSearchableOnceAsync(engine, 60);
            published = (await engine.Store.GetStatisticsVersionAsync("c")).Version;
            Assert.True(published >= 1);
        }
        // Boundary 3, after the last stage: a restart with nothing new does nothing again, statistics included.
        await using (var engine = await OpenOnDemandAsync())
        {
            await engine.Indexes.CatchUpAsync("c", default);
            Assert.All(await StagesAsync(engine), s => Assert.Equal(0, s.Applied));
            Assert.Equal(published, (await engine.Store.GetStatisticsVersionAsync("c")).Version);
        }
    }

    [Fact]
    public async Task A_stop_in_the_middle_of_embedding_resumes_without_embedding_finished_batches_again()
    {
        // 300 one-segment documents: the first build embeds 300 texts, then 300 situated contexts, in batches of 256.
        int textsBefore;
        await using (var engine = await OpenOnDemandAsync())
        {
            await engine.Store.CreateCollectionAsync("c");
            await AddAsync(engine, 0, 300);
            textsBefore = _model.Texts;
            _model.FailAfter = textsBefore + 300; // both batches of segment texts are made and logged; the contexts fail
            await Assert.ThrowsAsync<HttpRequestException>(() => engine.Indexes.CatchUpAsync("c", default));
            Assert.Equal(textsBefore + 300, _model.Texts);
            Assert.Equal(0, (await StagesAsync(engine)).Single(s => s.Name == DenseStage.StageName).Checkpoint);
        }
        _model.FailAfter = null;
        await using (var engine = await OpenOnDemandAsync())
        {
            await engine.Indexes.CatchUpAsync("c", default);
            Assert.Equal(textsBefore + 600, _model.Texts); // the 300 logged vectors were read back, only the contexts were embedded
            await AssertAllSearchableOnceAsync(engine, 300);
        }
        // Once the index is saved the log is emptied.
        string journal = Directory.GetFiles(_dir.Path, "journal.bin", SearchOption.AllDirectories).Single();
        using var reopened = Indexing.Dense.EmbeddingJournal.Open(journal, "model:hash", HashEmbedder.Dimension)!;
        Assert.Equal(0, reopened.Count);
    }

    [Fact]
    public async Task The_collection_and_the_task_count_segments_embedded_while_the_dense_stage_runs()
    {
        await using var engine = await OpenOnDemandAsync();
        await engine.Store.CreateCollectionAsync("c");
        var lines = Enumerable.Range(0, 300).Select(i => $$"""{"id": "d{{i}}", "text": "document number n{{i}} about topic t{{i % 3}}"}""").ToList();
        var task = await engine.Tasks.QueueDocumentsAsync("c", lines, default);
        await engine.TaskRunner.RunAsync(task.Id);
        // The first build embeds the 300 segment texts in batches of 256: it is held once the first batch is done.
        using var gate = new SemaphoreSlim(0, 1);
        _model.HoldFrom = _model.Texts + 256;
        _model.Gate = gate;
        var catchUp = engine.Indexes.CatchUpAsync("c", default);
        await _model.Entered.Task;

        var collection = await engine.Collections.GetAsync("c", default);
        Assert.Equal(300, collection.Segments);
        var dense = collection.Index!.Stages.Single(s => s.Name == DenseStage.StageName);
        Assert.Equal((0L, 256L), (dense.Documents, dense.Segments));
        Assert.Equal(0.5 + 0.5 * 256 / 300, dense.Progress, 3); // the second half of a first build is its embedding
        Assert.Equal(300, collection.Index.Stages.Single(s => s.Name == LexicalStage.StageName).Segments);
        var status = await engine.Indexes.DenseStatusAsync("c", default);
        Assert.Equal((false, 256L, "model:hash"), (status.Learned, status.Embedding, status.Embedder));
        var view = await engine.Tasks.GetAsync(task.Id, default);
        Assert.Equal(300, view.Segments);
        Assert.Equal(0, view.Searchable![DenseStage.StageName]);
        Assert.Equal(256, view.SearchableSegments![DenseStage.StageName]);
        Assert.Equal(300, view.SearchableSegments[LexicalStage.StageName]);

        gate.Release();
        await catchUp;
        dense = (await engine.Collections.GetAsync("c", default)).Index!.Stages.Single(s => s.Name == DenseStage.StageName);
        Assert.Equal((300L, 300L, 1.0), (dense.Documents, dense.Segments, dense.Progress));
        view = await engine.Tasks.GetAsync(task.Id, default);
        Assert.Equal((300, 300L), (view.Searchable![DenseStage.StageName], view.SearchableSegments![DenseStage.StageName]));
        status = await engine.Indexes.DenseStatusAsync("c", default);
        Assert.Equal((300, 0L, "test"), (status.Segments, status.Embedding, status.Runtime));
    }

    [Fact]
    public async Task A_query_during_a_long_indexing_run_answers_at_once_with_what_is_searchable()
    {
        var options = new EngineOptions { DataDirectory = _dir.Path, EmbeddingModel = _model };
        await using var engine = await SearchEngine.OpenAsync(options);
        await engine.Indexes.StartAsync(default);
        await engine.Store.CreateCollectionAsync("c");
        // The dense stage will be held inside its first embedding call for as long as the test likes.
        using var gate = new SemaphoreSlim(0, 1);
        _model.Gate = gate;
        await AddAsync(engine, 0, 20);
        long latest = await engine.Store.GetLastChangeAsync("c");
        await _model.Entered.Task;
        var indexed = engine.Documents.WriteAsync("c", Indexing.Extraction.JsonDocumentReader.Parse("""{"id": "waiting", "text": "a write that waits to be searchable"}""", "w", "w"),
            waitIndexed: true, default);
        // The lexical stage does not wait for the dense one.
        await WaitForAsync(async () => Stage(await StagesAsync(engine), LexicalStage.StageName, s => s.Sequence) >= latest);

        var bm25 = await engine.Search.SearchAsync("c", new SearchRequest("document", 100, GroupByDocument: true));
        Assert.True(bm25.Hits.Count >= 20);
        Assert.True(bm25.Index.Dense < bm25.Index.LatestChange, "the response says the dense side is behind");
        var hybrid = await engine.Search.SearchAsync("c", new SearchRequest("n3", Mode: SearchModes.Hybrid));
        Assert.Equal("d3", hybrid.Hits[0].DocumentId);
        Assert.Contains(hybrid.Warnings, w => w.Contains("not built yet", StringComparison.Ordinal));
        Assert.Empty((await engine.Search.SearchAsync("c", new SearchRequest("n3", Mode: SearchModes.Dense))).Hits);
        // All of that was answered while the embedding is still held; the write waiting to be searchable is still waiting.
        Assert.Equal(0, gate.CurrentCount);
        Assert.False(indexed.IsCompleted);

        gate.Release();
        var outcome = await indexed;
        var stages = await StagesAsync(engine);
        Assert.All(stages.Where(s => s.Name != StatisticsStage.StageName), s => Assert.True(s.Sequence >= outcome.Sequence));
        var after = await engine.Search.SearchAsync("c", new SearchRequest("waits searchable", Mode: SearchModes.Hybrid));
        Assert.Empty(after.Warnings);
        Assert.Contains(after.Hits, h => h.DocumentId == "waiting");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        while (!await condition()) await Task.Delay(10);
    }
}
