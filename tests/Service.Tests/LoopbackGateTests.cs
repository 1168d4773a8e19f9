using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Search.Ranking;
using Search.Service.Security;

namespace Search.Service.Tests;

/// <summary>Without a master key: loopback only, the Host header checked (no DNS rebinding), no cross-origin writes.</summary>
public sealed class LoopbackGateTests : ApiTestBase
{
    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://+:8080")]
    [InlineData("http://[::]:8080")]
    [InlineData("http://10.1.2.3:8080")]
    [InlineData("http://127.0.0.1:8080;http://example.org:8080")]
    public async Task Binding_beyond_loopback_without_a_master_key_refuses_to_start(string urls)
    {
        await using var engine = await SearchEngine.OpenAsync(new EngineOptions { DataDirectory = Path.Combine(Dir.Path, "other") });
        var e = Assert.Throws<InsecureBindingException>(() => WebHost.Build(engine, urls));
        Assert.Contains("master key", e.Message);
        // With a master key the same addresses are allowed; a short one is not.
        new ServiceSecurityOptions { MasterKey = "a-long-enough-master-key" }.CheckBinding(urls);
        Assert.Throws<InsecureBindingException>(() => new ServiceSecurityOptions { MasterKey = "short" }.CheckBinding(urls));
    }

    [Fact]
    public async Task A_foreign_host_header_is_refused_so_dns_rebinding_reaches_nothing()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/collections");
        request.Headers.Host = "attacker.example";
        var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Host header", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/collections")).StatusCode);
    }

    [Fact]
    public async Task A_page_on_another_origin_cannot_write_but_the_service_own_origin_can()
    {
        var foreign = new HttpRequestMessage(HttpMethod.Post, "/collections") { Content = JsonContent.Create(new { name = "planted" }) };
        foreign.Headers.Add("Origin", "http://attacker.example");
        var refused = await Http.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("attacker.example", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/collections/planted")).StatusCode);

        var own = new HttpRequestMessage(HttpMethod.Post, "/collections") { Content = JsonContent.Create(new { name = "mine" }) };
        own.Headers.Add("Origin", Http.BaseAddress!.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.Created, (await Http.SendAsync(own)).StatusCode);
    }

    [Fact]
    public async Task Keys_cannot_be_managed_without_a_master_key()
    {
        var response = await Http.PostAsJsonAsync("/keys", new { name = "k", actions = new[] { "search" }, collections = new[] { "*" } });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("master key", problem.RootElement.GetProperty("detail").GetString());
    }
}
