namespace Search.Indexing.Pipeline;

/// <summary>What the admin API shows of one stage of a generation.</summary>
/// <param name="Name">lexical, dense or statistics.</param>
/// <param name="Sequence">The change sequence the stage has applied: what it makes searchable.</param>
/// <param name="Checkpoint">The change sequence it has made durable: where a restart resumes.</param>
/// <param name="Documents">Documents the stage's index holds.</param>
/// <param name="Progress">Progress of a full build (0–1); 1 when the stage follows the change log.</param>
/// <param name="Applied">Documents the stage has applied since the process started (work done, not redone after a restart).</param>
/// <param name="Error">Why its last step failed, while it keeps failing.</param>
/// <param name="Segments">Segments the stage's index holds (for the dense stage: segments embedded).</param>
/// <param name="BusySeconds">Time its steps took since the process opened it.</param>
/// <param name="InFlight">Segments its running step has indexed that are not searchable yet (the dense stage: embedded so far).</param>
public sealed record StageStatus(string Name, long Sequence, long Checkpoint, long Documents, double Progress, long Applied, string? Error, long Segments = 0, double BusySeconds = 0,
    long InFlight = 0);

/// <summary>
/// One ordered step of indexing a generation: it reads the collection's change log from its own position through
/// the <see cref="ChangeFeed"/>, applies what it reads to its index, and commits, recording the change sequence it
/// reached (its checkpoint) with what it wrote, so a restart resumes each stage where its last commit left it.
/// </summary>
public abstract class IndexingStage : IDisposable
{
    private long _position;
    private long _checkpoint;
    private long _applied;
    private string? _error;

    /// <summary>The stage's name.</summary>
    public abstract string Name { get; }

    /// <summary>The change sequence applied (searchable).</summary>
    public long Position => Volatile.Read(ref _position);

    /// <summary>The change sequence made durable.</summary>
    public long Checkpoint => Volatile.Read(ref _checkpoint);

    /// <summary>Documents applied since the stage was opened.</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Progress of a full build, 0–1.</summary>
    public double Progress { get; protected set; } = 1;

    /// <summary>Why the last step failed, or null.</summary>
    public string? Error
    {
        get => Volatile.Read(ref _error);
        internal set
        {
            Volatile.Write(ref _error, value);
            Advanced.Pulse(); // waiters learn of a failure as of progress
        }
    }

    /// <summary>Pulsed whenever the position moves (or a step fails).</summary>
    public AsyncPulse Advanced { get; } = new();

    /// <summary>Documents the stage's index holds.</summary>
    public abstract long Documents { get; }

    /// <summary>Segments the stage's index holds.</summary>
    public virtual long Segments => 0;

    /// <summary>Segments the running step has indexed that are not searchable yet.</summary>
    public virtual long InFlight => 0;

    /// <summary>When the stage last committed.</summary>
    internal DateTime LastCommit { get; private set; } = DateTime.UtcNow;

    /// <summary>Whether the stage has work due beyond following the log (a relearning), which a catch-up does too.</summary>
    public virtual bool WorkDue => false;

    /// <summary>Whether applied work is not yet durable.</summary>
    public bool Dirty => Position != Checkpoint;

    /// <summary>Time spent in steps since the stage was opened (embedding, for the dense stage).</summary>
    public TimeSpan Busy => TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks));

    private long _busyTicks;

    /// <summary>
    /// Applies one batch (or one full build) from the change log; false when there was nothing after the stage's
    /// position. Steps of one stage never run concurrently.
    /// </summary>
    public async Task<bool> StepAsync(ChangeFeed feed, CancellationToken ct)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await StepCoreAsync(feed, ct);
        }
        finally
        {
            Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks);
        }
    }

    /// <summary>The step itself; see <see cref="StepAsync"/>.</summary>
    protected abstract Task<bool> StepCoreAsync(ChangeFeed feed, CancellationToken ct);

    /// <summary>Makes what was applied durable at <see cref="Position"/>.</summary>
    public void Commit()
    {
        long at = Position;
        CommitAt(at);
        Volatile.Write(ref _checkpoint, at);
        LastCommit = DateTime.UtcNow;
    }

    /// <summary>Writes the stage's index as reflecting the changes through <paramref name="sequence"/>.</summary>
    protected abstract void CommitAt(long sequence);

    /// <summary>Records where the stage stands after opening its committed index.</summary>
    protected void Resume(long sequence)
    {
        Volatile.Write(ref _position, sequence);
        Volatile.Write(ref _checkpoint, sequence);
    }

    /// <summary>Moves the position forward and wakes its waiters.</summary>
    protected void Advance(long sequence, int documents)
    {
        Interlocked.Add(ref _applied, documents);
        if (sequence > Position) Volatile.Write(ref _position, sequence);
        Advanced.Pulse();
    }

    /// <summary>Releases what the stage holds open (its generation is closing).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the stage holds open.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>What the admin API shows.</summary>
    public StageStatus Status() => new(Name, Position, Checkpoint, Documents, Math.Round(Progress, 4), Applied, Error, Segments, Math.Round(Busy.TotalSeconds, 3), InFlight);
}
