using Microsoft.Extensions.Logging;
using Search.Indexing.Storage;

namespace Search.Indexing.Pipeline;

/// <summary>
/// Keeps a generation's stages current in the background: one loop a stage, each woken by the collection's
/// change signal or by the stage before it advancing, so a slow stage (embedding) never holds a fast one
/// (BM25) back. A loop commits its stage once it has been dirty for the stage's commit interval, and at once
/// when the interval is zero; a failing step is retried with backoff and reported on the stage.
/// </summary>
internal sealed class StageRunner(IndexGeneration generation, ChangeFeed feed, AsyncPulse changed, IndexingOptions options, ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    /// <summary>The commit interval of a stage.</summary>
    public static TimeSpan CommitInterval(IndexingStage stage, IndexingOptions options) =>
        stage is DenseStage ? options.DenseCommitInterval : stage is LexicalStage ? options.LexicalCommitInterval : TimeSpan.Zero;

    /// <summary>Starts the loops.</summary>
    public void Start()
    {
        var stages = generation.Stages;
        for (int i = 0; i < stages.Count; i++)
        {
            var stage = stages[i];
            var previous = i == 0 ? null : stages[i - 1];
            _loops.Add(Task.Run(() => LoopAsync(stage, previous, _stop.Token)));
        }
    }

    /// <summary>Stops the loops after their current step (uncommitted work stays applied, for the caller to commit).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    private async Task LoopAsync(IndexingStage stage, IndexingStage? previous, CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        var interval = CommitInterval(stage, options);
        while (!ct.IsCancellationRequested)
        {
            var wake = previous is null ? changed.Next : Task.WhenAny(changed.Next, previous.Advanced.Next);
            bool worked;
            try
            {
                worked = await stage.StepAsync(feed, ct);
                if (stage.Error is not null) stage.Error = null;
                backoff = TimeSpan.FromSeconds(1);
                var since = DateTime.UtcNow - stage.LastCommit;
                if (stage.Dirty && since >= interval) stage.Commit();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (NotFoundException)
            {
                return; // the collection was deleted; its indexes are being dropped
            }
            catch (Exception e)
            {
                stage.Error = e.Message;
                logger.LogError(e, "The {Stage} stage of collection '{Collection}' failed; retrying in {Seconds} s", stage.Name, feed.Collection, backoff.TotalSeconds);
                if (!await DelayAsync(backoff, ct)) return;
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
                continue;
            }
            if (worked) continue;
            // Caught up: sleep until woken, or until the uncommitted work is due.
            var due = stage.Dirty ? interval - (DateTime.UtcNow - stage.LastCommit) : Timeout.InfiniteTimeSpan;
            if (due != Timeout.InfiniteTimeSpan && due < TimeSpan.Zero) due = TimeSpan.Zero;
            try
            {
                await wake.WaitAsync(due, ct);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
