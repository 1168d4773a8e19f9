using System.Threading.Channels;
using Search.Ranking;

namespace Search.Api.Web;

/// <summary>
/// Runs bulk ingestion tasks in the service, one at a time, oldest first. On start it resumes tasks
/// that were queued or running when the process stopped; it also picks up tasks other processes queue.
/// </summary>
public sealed class TaskWorker(SearchEngine engine, ILogger<TaskWorker> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Tells the worker a task was queued.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var task in await engine.Store.GetUnfinishedTasksAsync(stoppingToken))
                {
                    logger.LogInformation("Running task {Task} ({Total} items, {Done} done)", task.Id, task.Total, task.Done + task.Failed);
                    var final = await engine.Tasks.RunAsync(task.Id, null, stoppingToken);
                    logger.LogInformation("Task {Task} {State}: {Done} done, {Failed} failed", final.Id, final.State, final.Done, final.Failed);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return; // the task stays 'running' in the store and resumes on the next start
            }
            catch (Exception e)
            {
                logger.LogError(e, "Task worker failed; retrying");
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(PollInterval);
            try
            {
                await _wake.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
