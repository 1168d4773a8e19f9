using System.Diagnostics;
using Npgsql;

namespace Search.TestSupport;

/// <summary>
/// A real PostgreSQL server on 127.0.0.1 for the test process, started once through the project's own
/// <c>infra/postgres.sh</c> and stopped when the process exits. Each caller gets a fresh database.
/// There is no skip: without the server binaries the tests fail and say how to install them.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<string> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static string? _dataDir;

    /// <summary>A connection string to a new, empty database.</summary>
    public static string CreateDatabase()
    {
        string admin = Server.Value;
        string name = "t_" + Guid.NewGuid().ToString("N")[..12];
        using (var conn = new NpgsqlConnection(admin))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            cmd.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
    }

    private static string Start()
    {
        RemoveStoppedClusters();
        _dataDir = Path.Combine(Path.GetTempPath(), "search-pg-" + Guid.NewGuid().ToString("N")[..12]);
        string script = Path.Combine(RepoPaths.Root, "infra", "postgres.sh");
        var (code, output, error) = Run(script, "start", _dataDir);
        if (code != 0)
            throw new InvalidOperationException($"could not start PostgreSQL with {script} (exit {code}): {error.Trim()} — install it with infra/setup.sh");
        string dataDir = _dataDir;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Run(script, "stop", dataDir);
            // The cluster is the run's alone: leaving it would leave 190 MB in the temp folder per test run.
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        };
        return output.Trim();
    }

    // A test host killed before its exit handler finished leaves a stopped cluster behind; an hour-old one without a
    // running server is no other run's (a cluster being set up right now is younger).
    private static void RemoveStoppedClusters()
    {
        foreach (string dir in Directory.EnumerateDirectories(Path.GetTempPath(), "search-pg-*"))
        {
            try
            {
                if (File.Exists(Path.Combine(dir, "postmaster.pid")) || Directory.GetLastWriteTimeUtc(dir) > DateTime.UtcNow.AddHours(-1)) continue;
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static (int Code, string Output, string Error) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
