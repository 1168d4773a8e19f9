using Microsoft.Playwright;
using Search.Client;
using static Microsoft.Playwright.Assertions;

namespace Search.Console.Tests;

/// <summary>Creating and revoking keys in the page, and what a search-only key sees and is refused.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class KeyPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task A_key_created_in_the_page_works_once_shown_and_stops_working_when_revoked()
    {
        var page = await fixture.SignedInAsync();
        await page.Locator("#nav").GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();
        await page.Locator("#key-name").FillAsync("temporary");
        await page.Locator("#action-tasks").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        string key = (await page.Locator("#new-key").TextContentAsync())!.Trim();
        Assert.StartsWith("srch_", key, StringComparison.Ordinal);
        var row = page.Locator("tr[data-key]", new() { HasText = "temporary" });
        await Expect(row).ToContainTextAsync("search, tasks");
        await ConsoleFixture.ScreenshotAsync(page, "keys-1280x800");

        using var client = new SearchClient(fixture.BaseAddress, key);
        Assert.NotEmpty(await client.ListCollectionsAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke temporary" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        await Assert.ThrowsAsync<SearchAccessException>(() => client.ListCollectionsAsync());
    }

    [Fact]
    public async Task A_search_only_key_sees_search_only_and_is_refused_the_rest()
    {
        var created = await fixture.Admin.CreateKeyAsync("reader", ["search"], [ConsoleFixture.Collection]);
        var page = await fixture.SignedInAsync(created.Key!);
        await Expect(page.Locator("#nav a")).ToHaveTextAsync(["Collections", "Search"]);
        await Expect(page.Locator("#who")).ToContainTextAsync("signed in with reader");
        // Only the collections the key reaches are listed; no create form.
        await Expect(page.Locator("#new-collection")).ToHaveCountAsync(0);
        await Expect(page.Locator("table[aria-label='Collections'] tbody tr")).ToHaveCountAsync(1);

        // The collection page shows what the key may read, without the admin and write parts.
        await page.GetByRole(AriaRole.Link, new() { Name = ConsoleFixture.Collection }).ClickAsync();
        await Expect(page.Locator("table[aria-label='Indexing stages']")).ToBeVisibleAsync();
        await Expect(page.Locator("#reindex")).ToHaveCountAsync(0);
        await Expect(page.Locator("#upload-files")).ToHaveCountAsync(0);

        // Pages the key may not use answer with the service's refusal, whatever the address bar says.
        await page.GotoAsync("/console/#/keys");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("403");
        await Expect(page.Locator("#key-name")).ToHaveCountAsync(0);
        await page.GotoAsync("/console/#/tasks");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("may not do 'tasks'");
        await page.GotoAsync("/console/#/collections/uploads-elsewhere");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("does not reach the collection");

        // Searching still works.
        await page.GotoAsync($"/console/#/search?c={ConsoleFixture.Collection}&q=refund&mode=bm25");
        await Expect(page.Locator("#results article.hit").First).ToBeVisibleAsync();
        await fixture.Admin.DeleteKeyAsync(created.Uid);
    }
}
