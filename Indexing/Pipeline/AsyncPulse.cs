namespace Search.Indexing.Pipeline;

/// <summary>
/// A signal that wakes everyone waiting at the moment it is pulsed. Take the task from <see cref="Next"/> before
/// looking at the state it guards, so a pulse between the look and the wait is never missed.
/// </summary>
public sealed class AsyncPulse
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task that completes at the next pulse.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Wakes the waiters of the current task and starts a new one.</summary>
    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
