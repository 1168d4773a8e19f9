using Microsoft.Playwright;
using Search.Service.Tests;
using Search.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace Search.Console.Tests;

/// <summary>A service without a master key (loopback only): the console opens without signing in and offers everything but keys.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class OpenServiceTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task The_console_of_an_open_service_needs_no_sign_in()
    {
        using var dir = new TempDirectory();
        await using var host = await ApiHost.StartAsync(dir.Path);
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = host.Client.BaseAddress!.AbsoluteUri });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console/");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Collections");
        await Expect(page.Locator("#who")).ToContainTextAsync("open service: loopback only, no keys");
        await Expect(page.Locator("#nav a")).ToHaveTextAsync(["Collections", "Search", "Tasks"]);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToHaveCountAsync(0);
        await page.GotoAsync("/console/#/keys");
        await Expect(page.Locator("main")).ToContainTextAsync("API keys need one");
        await context.CloseAsync();
    }
}
