namespace Search.Evaluation;

/// <summary>The latencies of an evaluation's queries, in the order they ran.</summary>
public sealed class QueryLatencies
{
    private readonly List<double> _milliseconds = [];

    /// <summary>Records one query.</summary>
    public void Add(double milliseconds) => _milliseconds.Add(milliseconds);

    /// <summary>The first query's latency (0 when none ran): it shows whether a query waited for any indexing.</summary>
    public double First => _milliseconds.Count == 0 ? 0 : _milliseconds[0];

    /// <summary>
    /// The first query run again at once (not counted among the others): set beside <see cref="First"/>, it tells what
    /// the first run waited for (indexing) from what the query costs anyway (a long query is slow every time).
    /// </summary>
    public double FirstRepeated { get; set; }

    /// <summary>Ranked queries that fell back to the hybrid order (the ranker failed or ran out of time): their results are not the ranker's.</summary>
    public long RankerFallbacks { get; set; }

    /// <summary>The slowest query (0 when none ran).</summary>
    public double Max => _milliseconds.Count == 0 ? 0 : _milliseconds.Max();

    /// <summary>Adds the latency keys every evaluation's JSON last line carries.</summary>
    public void AddTo(Dictionary<string, object> json)
    {
        json["query_ms_p50"] = Math.Round(Percentile(0.5), 3);
        json["query_ms_p99"] = Math.Round(Percentile(0.99), 3);
        json["query_ms_max"] = Math.Round(Max, 3);
        json["query_ms_first"] = Math.Round(First, 3);
        json["query_ms_first_repeated"] = Math.Round(FirstRepeated, 3);
        json["ranker_fallbacks"] = RankerFallbacks;
    }

    /// <summary>The p-quantile (nearest rank), 0 when none ran.</summary>
    public double Percentile(double p)
    {
        if (_milliseconds.Count == 0) return 0;
        var sorted = new List<double>(_milliseconds);
        sorted.Sort();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }
}
