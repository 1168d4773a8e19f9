using Search.Ranking;

namespace Search.Service;

/// <summary>Starts the background indexing pipeline with the service: every collection's stages follow its change log until the service stops (the engine's disposal commits them).</summary>
public sealed class IndexingWorker(SearchEngine engine) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => engine.Indexes.StartAsync(cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
