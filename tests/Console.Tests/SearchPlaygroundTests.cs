using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Search.Client;
using static Microsoft.Playwright.Assertions;

namespace Search.Console.Tests;

/// <summary>The search playground: every mode, where each hit sits, and every score component the API returned.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class SearchPlaygroundTests(ConsoleFixture fixture)
{
    [Theory]
    [InlineData("bm25")]
    [InlineData("dense")]
    [InlineData("situated")]
    [InlineData("hybrid")]
    [InlineData("ranked")]
    public async Task Each_mode_shows_the_hits_of_the_api_with_their_components(string mode)
    {
        const string query = "refund after termination for breach";
        var page = await fixture.SignedInAsync();
        await page.Locator("#nav").GetByRole(AriaRole.Link, new() { Name = "Search" }).ClickAsync();
        // Keyboard only: the query box has focus; choose the mode and submit with Enter.
        await Expect(page.Locator("#q")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(query);
        await page.Locator("#mode").SelectOptionAsync(mode);
        await page.Locator("#q").PressAsync("Enter");

        var api = await fixture.Admin.SearchAsync(ConsoleFixture.Collection, new SearchQuery(query, 10, mode));
        var hits = page.Locator("#results article.hit");
        await Expect(hits).ToHaveCountAsync(api.Hits.Count);
        Assert.NotEmpty(api.Hits);
        Assert.Equal(api.Hits.Select(h => h.DocumentId), await hits.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.document)"));

        var first = hits.First;
        await Expect(first.Locator(".where")).ToContainTextAsync(api.Hits[0].SectionPath);
        await first.Locator("summary").ClickAsync();
        var names = await first.Locator("table.components th").AllTextContentsAsync();
        Assert.Equal(api.Hits[0].Components.Keys.Order(), names.Order());
        if (mode == "hybrid") Assert.Contains("dense_rank", names);
        foreach (string warning in api.Warnings) await Expect(page.Locator("#results")).ToContainTextAsync(warning);
        // Ranked hits show what the shipped ranker made of them beside their hybrid parts.
        if (mode == "ranked") Assert.Contains("ranker_rank", names);
        await ConsoleFixture.ScreenshotAsync(page, $"search-{mode}-1280x800");
    }

    [Fact]
    public async Task A_transcript_hit_shows_its_chapter_and_times_and_links_to_the_chapter_list()
    {
        var page = await fixture.SignedInAsync();
        await page.GotoAsync($"/console/#/search?c={ConsoleFixture.Collection}&q=remote+control+buttons&mode=bm25&k=5");
        var hit = page.Locator("#results article.hit", new() { HasText = "meeting-ES2010c" }).First;
        await Expect(hit.Locator(".where")).ToContainTextAsync(new Regex(@"chapter .+ \(\d+:\d\d–\d+:\d\d\) · \d+:\d\d–\d+:\d\d"));
        await hit.Locator(".where a").ClickAsync();
        await Expect(page.Locator("#chapters")).ToBeVisibleAsync();
        await Expect(page.Locator("article.segment.chosen")).ToHaveCountAsync(1);
    }
}
