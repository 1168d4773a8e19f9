using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Search.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace Search.Console.Tests;

/// <summary>Signing in, ingesting through the page, following a task to 100 % and reading a transcript's chapters.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class IngestionPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task Without_a_key_the_console_asks_for_one_and_a_wrong_key_is_refused()
    {
        var page = await fixture.NewPageAsync();
        var response = await page.GotoAsync("/console");
        Assert.Contains("default-src 'none'", (await response!.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Sign in");
        await ConsoleFixture.ScreenshotAsync(page, "signin-1280x800");
        await page.Locator("#key").FillAsync("srch_not-a-key");
        await page.Locator("#key").PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("401");
        await Expect(page.Locator("#nav a")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Files_uploaded_through_the_page_are_stored_and_a_bulk_task_reaches_100_percent()
    {
        var page = await fixture.SignedInAsync();
        await page.Locator("#new-collection").FillAsync("uploads");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("uploads");

        await page.Locator("#upload-files").SetInputFilesAsync([Path.Combine(RepoPaths.Root, "samples", "corpus", "podcast-excerpt.srt"),
            Path.Combine(RepoPaths.Root, "samples", "corpus", "annual-report.md")]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload", Exact = true }).ClickAsync();
        await Expect(page.GetByText("2 file(s) stored")).ToBeVisibleAsync();
        Assert.Equal(2, (await fixture.Admin.GetCollectionAsync("uploads")).Documents);

        // 40 documents as JSON lines become one task; its row reaches 100 % with every item done.
        string lines = string.Join('\n', Enumerable.Range(0, 40).Select(i => $$"""{"id": "note-{{i}}", "title": "Note {{i}}", "text": "Lighthouse keeper log entry {{i}}: the lamp was trimmed and the fog bell rung."}"""));
        await page.Locator("#bulk-lines").FillAsync(lines);
        await page.GetByRole(AriaRole.Button, new() { Name = "Queue task" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Follow it" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Tasks");
        var row = page.Locator("tr[data-task]").First;
        await Expect(row).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 60_000 });
        await Expect(row).ToContainTextAsync("100 %");
        await Expect(row).ToContainTextAsync("40 of 40");
        await ConsoleFixture.ScreenshotAsync(page, "tasks-1280x800");

        // The collection page shows what is stored and, per stage, what is searchable; it follows the stages live.
        await page.GotoAsync("/console/#/collections/uploads");
        var lexical = page.Locator("table[aria-label='Indexing stages'] tr", new() { HasText = "lexical" });
        await Expect(lexical).ToContainTextAsync("42 of 42", new() { Timeout = 60_000 });
        await Expect(page.Locator("table[aria-label='Documents'] tbody tr")).ToHaveCountAsync(42);
        Assert.Empty(fixture.Errors);
    }

    [Fact]
    public async Task A_transcript_opens_at_its_segment_with_its_chapter_list()
    {
        var page = await fixture.SignedInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = ConsoleFixture.Collection }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "meeting-ES2010c" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("meeting-ES2010c");
        var chapters = page.Locator("ol.chapters li");
        Assert.True(await chapters.CountAsync() >= 2, "a 30-minute meeting has several chapters");
        await Expect(chapters.First).ToContainTextAsync(new Regex(@"\d+:\d\d–\d+:\d\d"));

        // Following the second chapter opens the document at that chapter's first segment, marked and focused.
        await chapters.Nth(1).Locator("a").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"segment=\d+$"));
        var chosen = page.Locator("article.segment.chosen");
        await Expect(chosen).ToHaveCountAsync(1);
        await Expect(chosen).ToBeFocusedAsync();
        await Expect(chosen.Locator(".where")).ToContainTextAsync("chapter 2:");
        await ConsoleFixture.ScreenshotAsync(page, "document-1280x800");
    }
}
