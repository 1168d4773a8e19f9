using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Search.TestSupport;

namespace Search.Service.Tests;

/// <summary>What the service logs per request: a debug line each, one warning without a stack for a client's mistake, no framework noise.</summary>
public sealed class RequestLoggingTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly CapturingProvider _log = new();
    private ApiHost? _host;

    private sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

        public void Dispose() { }

        private sealed class Logger(string category, CapturingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
        }
    }

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync(_dir.Path, logging: b =>
    {
        b.SetMinimumLevel(LogLevel.Debug);
        b.AddFilter("Search.Requests", LogLevel.Debug);
        b.AddProvider(_log);
    });

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_client_error_is_one_warning_line_without_a_stack_and_requests_are_debug_lines()
    {
        var client = _host!.Client;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/collections/missing")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/collections", new { name = "bad name!" })).StatusCode);
        // Stopping waits for every request to finish, and so to be logged.
        await _host.DisposeAsync();
        _host = null;

        var entries = _log.Entries.ToArray();
        var requests = entries.Where(e => e.Category == "Search.Requests").ToArray();
        Assert.All(requests, e => Assert.Equal(LogLevel.Debug, e.Level));
        Assert.Contains(requests, e => e.Message.StartsWith("GET /health 200", StringComparison.Ordinal));
        Assert.Contains(requests, e => e.Message.StartsWith("POST /collections 400", StringComparison.Ordinal));

        var warnings = entries.Where(e => e.Category == "Search.Api").ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.All(warnings, e =>
        {
            Assert.Equal(LogLevel.Warning, e.Level);
            Assert.Null(e.Exception);
        });
        Assert.Contains(warnings, e => e.Message.Contains("404", StringComparison.Ordinal) && e.Message.Contains("missing", StringComparison.Ordinal));
        // Nothing from the framework per request, and no error at all.
        Assert.DoesNotContain(entries, e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && e.Level < LogLevel.Warning);
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Error);
    }
}
