using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Search.EndToEnd.Tests;

/// <summary>Runs the real command-line program (the same binary ./search runs) as a child process.</summary>
public static class SearchProcess
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Search.Cli.dll");

    /// <summary>The result of one command.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The last non-empty line of standard output.</summary>
        public string LastLine => Stdout.TrimEnd().Split('\n')[^1];
    }

    private static ProcessStartInfo Start(string dataDir, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SEARCH_DATA_DIR"] = dataDir;
        psi.Environment.Remove("SEARCH_STORE");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        return psi;
    }

    /// <summary>Runs a verb to completion (at most five minutes).</summary>
    public static async Task<Result> RunAsync(string dataDir, params string[] args)
    {
        using var p = Process.Start(Start(dataDir, args))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(timeout.Token);
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>serve</c> on a free loopback port (reading server paths below <paramref name="ingestRoot"/>, if given) and waits until /health answers.</summary>
    public static async Task<(Process Process, HttpClient Client)> ServeAsync(string dataDir, string? ingestRoot = null)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        string[] args = ingestRoot is null ? ["serve", "--urls", $"http://127.0.0.1:{port}"] : ["serve", "--urls", $"http://127.0.0.1:{port}", "--ingest-root", ingestRoot];
        var process = Process.Start(Start(dataDir, args))!;
        process.StandardInput.Close();
        _ = process.StandardOutput.ReadToEndAsync(); // drain so the child never blocks on a full pipe
        _ = process.StandardError.ReadToEndAsync();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        for (int i = 0; i < 300; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"serve exited with {process.ExitCode}");
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode) return (process, client);
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        process.Kill();
        throw new TimeoutException("serve did not answer /health");
    }
}
