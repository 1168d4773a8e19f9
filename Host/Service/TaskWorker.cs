using System.Threading.Channels;
using Search.Ranking;

namespace Search.Service;

/// <summary>
/// Runs bulk ingestion tasks in the service, one at a time, oldest first. On start it resumes tasks
/// that were queued or running when the process stopped; it also picks up tasks other processes queue.
/// </summary>
public sealed class TaskWorker : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SearchEngine _engine;
    private readonly ILogger<TaskWorker> _logger;

    /// <summary>A worker for <paramref name="engine"/>'s tasks, woken whenever one is queued in this process.</summary>
    public TaskWorker(SearchEngine engine, ILogger<TaskWorker> logger)
    {
        _engine = engine;
        _logger = logger;
        engine.Tasks.Queued += (_, _) => _wake.Writer.TryWrite(true);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var task in await _engine.Tasks.UnfinishedAsync(stoppingToken))
                {
                    if (!await _engine.TaskRunner.CanRunAsync(task.Id, stoppingToken))
                    {
                        _logger.LogDebug("Leaving task {Task} to the process that queued it: its files lie outside this service's ingest roots", task.Id);
                        continue;
                    }
                    _logger.LogInformation("Running task {Task} ({Total} items, {Done} done)", task.Id, task.Total, task.Done + task.Failed);
                    var final = await _engine.TaskRunner.RunAsync(task.Id, null, stoppingToken);
                    _logger.LogInformation("Task {Task} {State}: {Done} done, {Failed} failed", final.Id, final.State, final.Done, final.Failed);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return; // the task stays 'running' in the store and resumes on the next start
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Task worker failed; retrying");
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
