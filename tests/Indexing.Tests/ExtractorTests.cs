using System.Text;
using Search.Indexing.Extraction;
using Search.Segmentation;
using Search.TestSupport;

namespace Search.Indexing.Tests;

public class ExtractorTests
{
    private static ExtractedDocument Extract(string fileName, string content) => Extract(fileName, Encoding.UTF8.GetBytes(content));

    private static ExtractedDocument Extract(string fileName, byte[] content) =>
        ExtractorRegistry.Default.For(fileName).Extract(new SourceInput(fileName, content));

    [Fact]
    public void Plain_text_splits_paragraphs_and_detects_numbered_headings()
    {
        var doc = Extract("tos.txt", "Terms of Service\n\nARTICLE I – DEFINITIONS\n\nSection 1.1 Account\n\n\"Account\" means your\nregistered account.\n\nSection 1.2 Content\n\nContent is yours.");
        Assert.Equal("Terms of Service", doc.Title);
        var content = doc.Blocks.Where(b => b.Kind == BlockKind.Paragraph).ToList();
        Assert.Equal("\"Account\" means your registered account.", content[0].Text);
        Assert.Equal(["ARTICLE I – DEFINITIONS", "Section 1.1 Account"], content[0].SectionPath);
        Assert.Equal(["ARTICLE I – DEFINITIONS", "Section 1.2 Content"], content[1].SectionPath);
    }

    [Fact]
    public void Markdown_headings_become_the_section_path()
    {
        var doc = Extract("r.md", "# Annual Report\n\nIntro para.\n\n## Operations\n\n### Wind\n\nTurbines *spun* `fast`.\n\n- item one\n- item two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## Finance\n\nMoney.");
        Assert.Equal("Annual Report", doc.Title);
        var wind = doc.Blocks.Single(b => b.Text == "Turbines spun fast.");
        Assert.Equal(["Operations", "Wind"], wind.SectionPath);
        Assert.Contains(doc.Blocks, b => b.Kind == BlockKind.ListItem && b.Text == "item two");
        Assert.Contains(doc.Blocks, b => b.Kind == BlockKind.Table && b.Text == "1 | 2");
        Assert.Equal(["Finance"], doc.Blocks.Single(b => b.Text == "Money.").SectionPath);
    }

    [Fact]
    public void Html_keeps_headings_and_blocks_and_drops_scripts_and_navigation()
    {
        var doc = Extract("g.html", "<html><head><title>Birds</title><script>var x = 'secret';</script></head><body><nav>Home | About</nav>"
            + "<div>Cookie notice</div><h1>Birds</h1><h2>Waders</h2><p>The <b>ringed</b> plover.</p><div>Loose text<p>inner</p></div><ul><li>one</li><li>two</li></ul>"
            + "<h3>Calls</h3><table><tr><td>a</td><td>b</td></tr></table></body></html>");
        Assert.Equal("Birds", doc.Title);
        Assert.DoesNotContain(doc.Blocks, b => b.Text.Contains("secret", StringComparison.Ordinal) || b.Text.Contains("Home", StringComparison.Ordinal));
        Assert.Equal(["Waders"], doc.Blocks.Single(b => b.Text == "The ringed plover.").SectionPath);
        Assert.Contains(doc.Blocks, b => b.Text == "Loose text");
        Assert.Contains(doc.Blocks, b => b.Kind == BlockKind.ListItem && b.Text == "two");
        Assert.Equal(["Waders", "Calls"], doc.Blocks.Single(b => b.Text == "a | b").SectionPath);
    }

    [Fact]
    public void Docx_heading_styles_become_sections()
    {
        var bytes = TestFiles.Docx("Policy", ("Heading1", "Scope"), (null, "Applies to staff."), ("Heading2", "Exceptions"), (null, "Contractors are exempt."));
        var doc = Extract("p.docx", bytes);
        Assert.Equal("Policy", doc.Title);
        Assert.Equal(["Scope", "Exceptions"], doc.Blocks.Single(b => b.Text == "Contractors are exempt.").SectionPath);
    }

    [Fact]
    public void Pdf_text_is_read_through_pdftotext()
    {
        var doc = Extract("r.pdf", TestFiles.Pdf("Quarterly Findings", "", "Revenue grew by nine percent in the northern region.", "", "Costs were flat."));
        Assert.Equal("Quarterly Findings", doc.Title);
        Assert.Contains(doc.Blocks, b => b.Text.Contains("Revenue grew by nine percent", StringComparison.Ordinal));
    }

    [Fact]
    public void WebVtt_cues_carry_times_and_voice_speakers()
    {
        var doc = Extract("m.vtt", "WEBVTT - Team sync\n\nNOTE a comment\n\n1\n00:00:01.000 --> 00:00:04.500 align:start\n<v Alice>Hello <i>all</i></v>\n\n00:01:02.250 --> 00:01:05.000\n<v.loud Bob>Next item: budget.\n");
        Assert.Equal(DocumentKind.Transcript, doc.Kind);
        Assert.Equal("Team sync", doc.Title);
        Assert.Equal(2, doc.Blocks.Count);
        Assert.Equal(("Alice", "Hello all", 1.0, 4.5), (doc.Blocks[0].Speaker, doc.Blocks[0].Text, doc.Blocks[0].StartSeconds, doc.Blocks[0].EndSeconds));
        Assert.Equal(("Bob", 62.25), (doc.Blocks[1].Speaker, doc.Blocks[1].StartSeconds));
    }

    [Fact]
    public void Srt_cues_take_speaker_prefixes()
    {
        var doc = Extract("p.srt", "1\n00:00:00,000 --> 00:00:03,200\nALEX: Welcome back.\n\n2\n00:00:03,200 --> 00:00:07,000\nDANA: Thanks,\nglad to be here.\n");
        Assert.Equal(["ALEX", "DANA"], doc.Blocks.Select(b => b.Speaker));
        Assert.Equal("Thanks, glad to be here.", doc.Blocks[1].Text);
        Assert.Equal(7.0, doc.Blocks[1].EndSeconds);
    }

    [Fact]
    public void Json_transcripts_and_documents_are_read()
    {
        var t = JsonDocumentReader.Parse("""{"title": "Call", "segments": [{"start": 0, "end": 2.5, "speaker": "A", "text": "hi"}, {"start": "00:00:03", "end": 4, "text": "bye"}]}""", "x", "fallback");
        Assert.Equal(DocumentKind.Transcript, t.Document.Kind);
        Assert.Equal(3.0, t.Document.Blocks[1].StartSeconds);
        var d = JsonDocumentReader.Parse("""{"_id": "42", "title": "T", "text": "Body one.\n\nBody two.", "metadata": {"lang": "en"}}""", "x", "fallback");
        Assert.Equal("42", d.Id);
        Assert.Equal(2, d.Document.Blocks.Count);
        Assert.Equal("""{"lang": "en"}""", d.MetadataJson);
    }

    [Theory]
    [InlineData("empty.txt", new byte[0], "empty")]
    [InlineData("garbage.txt", new byte[] { 0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00, 0x00 }, "binary")]
    [InlineData("latin1.txt", new byte[] { 0x63, 0x61, 0x66, 0xE9, 0x20, 0x6F, 0x6B }, "not valid UTF-8")]
    [InlineData("file.xyz", new byte[] { 0x61 }, "unsupported format '.xyz'")]
    [InlineData("bad.pdf", new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D, 0x31, 0x2E, 0x34, 0x0A, 0x67, 0x61, 0x72, 0x62, 0x61, 0x67, 0x65 }, "pdftotext could not read")]
    [InlineData("bad.docx", new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x00 }, "not a readable .docx")]
    [InlineData("bad.vtt", new byte[] { 0x68, 0x65, 0x6C, 0x6C, 0x6F }, "must start with 'WEBVTT'")]
    public void Bad_input_gets_a_clear_error(string fileName, byte[] content, string expected)
    {
        var e = Assert.Throws<ExtractionException>(() => Extract(fileName, content));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(fileName, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"title\": \"x\", \"text\": ")]
    [InlineData("[1, 2")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"title\": \"x\"}")]
    [InlineData("{\"text\": \"a\", \"metadata\": [1]}")]
    public void Malformed_json_gets_a_clear_error(string json)
    {
        var e = Assert.Throws<ExtractionException>(() => JsonDocumentReader.Parse(json, "line 7", "t"));
        Assert.StartsWith("line 7:", e.Message, StringComparison.Ordinal);
    }
}
