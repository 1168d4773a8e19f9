namespace Search.Cli;

/// <summary>A progress bar on the terminal (stderr); when stderr is not a terminal, a line every few percent instead.</summary>
public sealed class ProgressBar(string label)
{
    private const int Width = 30;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private int _lastPercent = -1;
    private DateTime _lastDraw = DateTime.MinValue;

    /// <summary>Shows <paramref name="done"/> of <paramref name="total"/>.</summary>
    public void Report(int done, int total, int failed = 0, string? current = null)
    {
        int percent = total == 0 ? 100 : (int)(100L * done / total);
        if (_interactive)
        {
            var now = DateTime.UtcNow;
            if (done < total && (now - _lastDraw).TotalMilliseconds < 100) return;
            _lastDraw = now;
            int filled = total == 0 ? Width : (int)((long)Width * done / total);
            string name = current is null ? "" : "  " + Shorten(current, 40);
            string fails = failed > 0 ? $"  {failed} failed" : "";
            Console.Error.Write($"\r{label} [{new string('#', filled)}{new string('-', Width - filled)}] {done}/{total} {percent,3}%{fails}{name}\u001b[K");
        }
        else if (percent / 10 != _lastPercent / 10 || done == total)
        {
            if (percent == _lastPercent) return;
            Console.Error.WriteLine($"{label}: {done}/{total} ({percent}%){(failed > 0 ? $", {failed} failed" : "")}");
        }
        _lastPercent = percent;
    }

    /// <summary>Ends the bar's line.</summary>
    public void Finish()
    {
        if (_interactive) Console.Error.WriteLine();
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : "…" + s[^(max - 1)..];
}
