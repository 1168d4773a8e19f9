using Microsoft.Playwright;
using Search.Client;
using Search.Service.Security;
using Search.Service.Tests;
using Search.TestSupport;

namespace Search.Console.Tests;

/// <summary>
/// The real service with a master key and the sample corpus indexed through every stage, and Debian's Chromium driven
/// headless by Playwright. Screenshots go to <c>artifacts/console/</c> at the repository root.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string MasterKey = "console-tests-master-key-0123456789";
    public const string Collection = "samples";
    private static readonly string[] SampleFiles = ["terms-of-service.txt", "meeting-ES2010c.vtt", "field-guide.html"];
    private readonly TempDirectory _dir = new();
    private IPlaywright _playwright = null!;

    public ApiHost Host { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public SearchClient Admin { get; private set; } = null!;
    public Uri BaseAddress => Host.Client.BaseAddress!;
    public static string Screenshots { get; } = Path.Combine(RepoPaths.Root, "artifacts", "console");

    public async Task InitializeAsync()
    {
        // The shipped ranker's first query loads both encoders: a time limit no machine's speed decides.
        Host = await ApiHost.StartAsync(_dir.Path, new ServiceSecurityOptions { MasterKey = MasterKey }, configure: o => o with { RankerTimeout = TimeSpan.FromMinutes(5) });
        Admin = new SearchClient(BaseAddress, MasterKey);
        await Admin.CreateCollectionAsync(Collection);
        foreach (string name in SampleFiles)
        {
            await using var file = File.OpenRead(Path.Combine(RepoPaths.Root, "samples", "corpus", name));
            await Admin.UploadAsync(Collection, name, file, waitIndexed: true);
        }
        Directory.CreateDirectory(Screenshots);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            // The tests run as root in CI containers, where Chromium's sandbox cannot start.
            Args = ["--no-sandbox"],
        });
    }

    /// <summary>Debian's Chromium; the suite fails (it does not skip) when it is missing.</summary>
    private static string ChromiumPath()
    {
        foreach (string path in new[] { "/usr/lib/chromium/chromium", "/usr/bin/chromium" })
            if (File.Exists(path)) return path;
        throw new InvalidOperationException("Chromium is not installed: run infra/setup.sh (it installs Debian's chromium package)");
    }

    /// <summary>A fresh browser context (its own session storage) at the given viewport.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, BaseURL = BaseAddress.AbsoluteUri });
        var page = await context.NewPageAsync();
        // A script error on the page fails the test that caused it.
        page.PageError += (_, message) => Errors.Add(message);
        return page;
    }

    /// <summary>Script errors any page raised.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Opens the console and signs in with <paramref name="key"/>.</summary>
    public async Task<IPage> SignedInAsync(string key = MasterKey, int width = 1280, int height = 800)
    {
        var page = await NewPageAsync(width, height);
        await page.GotoAsync("/console/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sign in");
        await page.Locator("#key").FillAsync(key);
        await page.Locator("#key").PressAsync("Enter");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Collections");
        return page;
    }

    /// <summary>Saves a full-page screenshot as <c>artifacts/console/NAME.png</c>.</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = false });

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        Admin.Dispose();
        await Host.DisposeAsync();
        _dir.Dispose();
    }
}
