using static Microsoft.Playwright.Assertions;

namespace Search.Console.Tests;

/// <summary>Every page at a phone's 390×844 and a laptop's 1280×800: nothing wider than the screen, screenshots of each.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class LayoutTests(ConsoleFixture fixture)
{
    public static TheoryData<int, int> Sizes => new() { { 390, 844 }, { 1280, 800 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Every_page_fits_the_screen_width(int width, int height)
    {
        var page = await fixture.SignedInAsync(width: width, height: height);
        var pages = new (string Name, string Route, string Ready)[]
        {
            ("collections", "#/collections", "table[aria-label='Collections']"),
            ("collection", $"#/collections/{ConsoleFixture.Collection}", "table[aria-label='Generations']"),
            ("search", $"#/search?c={ConsoleFixture.Collection}&q=refund+policy+for+annual+plans&mode=hybrid&k=5", "#results article.hit"),
            ("document", $"#/collections/{ConsoleFixture.Collection}/documents/meeting-ES2010c.vtt?segment=3", "article.segment.chosen"),
            ("tasks", "#/tasks", "h1"),
            ("keys", "#/keys", "#key-name"),
        };
        foreach (var (name, route, ready) in pages)
        {
            await page.GotoAsync("/console/" + route);
            await Expect(page.Locator(ready).First).ToBeVisibleAsync();
            int scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            Assert.True(scrollWidth <= width, $"{name} at {width}×{height} is {scrollWidth} px wide");
            if (width != 1280 || name is "collections" or "document") await ConsoleFixture.ScreenshotAsync(page, $"{name}-{width}x{height}");
        }
        Assert.Empty(fixture.Errors);
    }
}
