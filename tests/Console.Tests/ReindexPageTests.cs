using Search.Client;
using static Microsoft.Playwright.Assertions;

namespace Search.Console.Tests;

/// <summary>A reindex started from the page while searches keep running: generation N+1 builds, swaps in, N retires.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ReindexPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task A_reindex_started_in_the_page_swaps_generations_while_a_search_loop_runs()
    {
        var page = await fixture.SignedInAsync();
        await page.GotoAsync($"/console/#/collections/{ConsoleFixture.Collection}");
        var serving = page.Locator("tr[data-state='serving']");
        await Expect(serving).ToHaveCountAsync(1);
        int before = int.Parse(await serving.GetAttributeAsync("data-generation") ?? "", System.Globalization.CultureInfo.InvariantCulture);
        await Expect(page.Locator("#size-on-disk")).ToContainTextAsync("KiB");
        await ConsoleFixture.ScreenshotAsync(page, "collection-1280x800");

        // Searches run throughout; every one must answer, from the old generation or the new.
        using var stop = new CancellationTokenSource();
        var seen = new HashSet<int>();
        var firstAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int searches = 0;
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var r = await fixture.Admin.SearchAsync(ConsoleFixture.Collection, new SearchQuery("refund", 3, "hybrid"));
                Assert.NotEmpty(r.Hits);
                lock (seen) seen.Add(r.Index.Generation);
                Interlocked.Increment(ref searches);
                firstAnswered.TrySetResult();
            }
        });
        // The reindex starts only once a search has read the old generation.
        await firstAnswered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await page.Locator("#reindex").ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync($"generation {before + 1} is building");
        var next = page.Locator($"tr[data-generation='{before + 1}']");
        await Expect(next).ToHaveAttributeAsync("data-state", "serving", new() { Timeout = 120_000 });
        await Expect(page.Locator($"tr[data-generation='{before}'][data-state='serving']")).ToHaveCountAsync(0);
        await ConsoleFixture.ScreenshotAsync(page, "generations-1280x800");

        // The loop goes on until it has read the new generation: the swap is seen by searches too.
        while (true)
        {
            lock (seen) if (seen.Contains(before + 1)) break;
            Assert.False(loop.IsCompleted, "the search loop stopped: " + loop.Exception?.GetBaseException().Message);
            await Task.Delay(20);
        }
        await stop.CancelAsync();
        await loop;
        Assert.Contains(before, seen);
        Assert.True(searches > 1);
    }
}
