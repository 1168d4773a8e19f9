using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Search.Models.Tokenization;

/// <summary>Loads a Hugging Face tokenizer.json (WordPiece, byte-level BPE or SentencePiece-style BPE models) into a <see cref="Tokenizer"/>.</summary>
public static class TokenizerJson
{
    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static Tokenizer Load(string path)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        try { return Parse(doc.RootElement); }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: unsupported or malformed tokenizer.json: {e.Message}", e);
        }
    }

    /// <summary>Builds a tokenizer from a parsed tokenizer.json.</summary>
    public static Tokenizer Parse(JsonElement root)
    {
        JsonElement model = root.GetProperty("model");
        string type = model.TryGetProperty("type", out JsonElement t) ? t.GetString()! : "BPE";
        List<AddedToken> added = ParseAddedTokens(root);
        Dictionary<string, int> vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        int? lookup(string token) => added.FirstOrDefault(a => a.Content == token)?.Id ?? (vocab.TryGetValue(token, out int id) ? id : null);
        SpecialTokenTemplate template = ParsePostProcessor(Get(root, "post_processor"), lookup);
        TextNormalizer? normalizer = ParseNormalizer(Get(root, "normalizer"));
        int? maxLength = Get(root, "truncation") is JsonElement trunc && trunc.TryGetProperty("max_length", out JsonElement ml) ? ml.GetInt32() : null;
        int? padId = Get(root, "padding") is JsonElement pad && pad.TryGetProperty("pad_id", out JsonElement pid) ? pid.GetInt32()
            : lookup("[PAD]") ?? lookup("<pad>");
        if (type == "WordPiece" && Get(root, "pre_tokenizer") is JsonElement pre && Str(pre, "type") is string preType && preType != "BertPreTokenizer")
            throw new NotSupportedException($"pre-tokenizer type '{preType}' with a WordPiece model (only BertPreTokenizer is supported)");
        return type switch
        {
            "WordPiece" => new WordPieceTokenizer(vocab, Str(model, "unk_token") ?? "[UNK]", Str(model, "continuing_subword_prefix") ?? "##",
                model.TryGetProperty("max_input_chars_per_word", out JsonElement mx) ? mx.GetInt32() : 100,
                added, template, normalizer, maxLength) { PadId = padId },
            "BPE" => ParseBpe(model, root, vocab, added, template, normalizer, maxLength, padId),
            _ => throw new NotSupportedException($"tokenizer model type '{type}' (only WordPiece and BPE are supported)"),
        };
    }

    private static BpeTokenizer ParseBpe(JsonElement model, JsonElement root, Dictionary<string, int> vocab, List<AddedToken> added, SpecialTokenTemplate template,
        TextNormalizer? normalizer, int? maxLength, int? padId)
    {
        if (Str(model, "continuing_subword_prefix") is { Length: > 0 } || Str(model, "end_of_word_suffix") is { Length: > 0 })
            throw new NotSupportedException("BPE with a continuing-subword prefix or an end-of-word suffix");
        return new BpeTokenizer(vocab, ParseMerges(model.GetProperty("merges")), ParsePreTokenizer(Get(root, "pre_tokenizer")), added, template, normalizer,
            Flag(model, "ignore_merges", false), Str(model, "unk_token"), maxLength, Flag(model, "byte_fallback", false), Flag(model, "fuse_unk", false)) { PadId = padId };
    }

    private static JsonElement? Get(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static string? Str(JsonElement e, string name) => Get(e, name) is JsonElement v && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Flag(JsonElement e, string name, bool fallback) => Get(e, name) is JsonElement v ? v.ValueKind == JsonValueKind.True : fallback;

    private static List<AddedToken> ParseAddedTokens(JsonElement root)
    {
        var result = new List<AddedToken>();
        if (Get(root, "added_tokens") is not JsonElement list) return result;
        foreach (JsonElement a in list.EnumerateArray())
            result.Add(new AddedToken(a.GetProperty("id").GetInt32(), a.GetProperty("content").GetString()!,
                Flag(a, "special", false), Flag(a, "lstrip", false), Flag(a, "rstrip", false)));
        return result;
    }

    private static List<(string, string)> ParseMerges(JsonElement merges)
    {
        var result = new List<(string, string)>();
        foreach (JsonElement m in merges.EnumerateArray())
        {
            // tokenizers ≥ 0.20 writes ["a", "b"]; older files write "a b"
            if (m.ValueKind == JsonValueKind.Array) result.Add((m[0].GetString()!, m[1].GetString()!));
            else
            {
                string s = m.GetString()!;
                int space = s.IndexOf(' ', 1);
                if (space < 0) throw new InvalidDataException($"BPE merge '{s}' has no separating space");
                result.Add((s[..space], s[(space + 1)..]));
            }
        }
        return result;
    }

    private static TextNormalizer? ParseNormalizer(JsonElement? element)
    {
        if (element is not JsonElement n) return null;
        string type = n.GetProperty("type").GetString()!;
        switch (type)
        {
            case "BertNormalizer":
                bool lowercase = Flag(n, "lowercase", true);
                return new BertNormalizer(Flag(n, "clean_text", true), Flag(n, "handle_chinese_chars", true),
                    Flag(n, "strip_accents", lowercase), lowercase);
            case "Lowercase": return new LowercaseNormalizer();
            case "NFC": return new UnicodeFormNormalizer(NormalizationForm.FormC);
            case "NFD": return new UnicodeFormNormalizer(NormalizationForm.FormD);
            case "NFKC": return new UnicodeFormNormalizer(NormalizationForm.FormKC);
            case "NFKD": return new UnicodeFormNormalizer(NormalizationForm.FormKD);
            case "Sequence":
                return new SequenceNormalizer([.. n.GetProperty("normalizers").EnumerateArray().Select(e => ParseNormalizer(e)).OfType<TextNormalizer>()]);
            case "Prepend": return new PrependNormalizer(n.GetProperty("prepend").GetString()!);
            case "Replace":
                JsonElement what = n.GetProperty("pattern");
                return new ReplaceNormalizer(Str(what, "String"), Str(what, "Regex") is string rx ? new Regex(rx, RegexOptions.CultureInvariant) : null,
                    n.GetProperty("content").GetString()!);
            default: throw new NotSupportedException($"normalizer type '{type}'");
        }
    }

    private static List<PreTokenizerStep> ParsePreTokenizer(JsonElement? element)
    {
        var steps = new List<PreTokenizerStep>();
        if (element is not JsonElement p) return steps;
        string type = p.GetProperty("type").GetString()!;
        switch (type)
        {
            case "ByteLevel":
                steps.Add(new ByteLevelStep(Flag(p, "add_prefix_space", false), Flag(p, "use_regex", true)));
                break;
            case "Split":
                JsonElement pattern = p.GetProperty("pattern");
                string behavior = Str(p, "behavior") ?? "Isolated";
                if (behavior != "Isolated" || Flag(p, "invert", false))
                    throw new NotSupportedException($"Split pre-tokenizer with behavior {behavior}");
                string regex = pattern.TryGetProperty("Regex", out JsonElement r) ? r.GetString()! : Regex.Escape(pattern.GetProperty("String").GetString()!);
                steps.Add(new RegexSplit(new Regex(regex, RegexOptions.Compiled | RegexOptions.CultureInvariant)));
                break;
            case "Sequence":
                foreach (JsonElement s in p.GetProperty("pretokenizers").EnumerateArray()) steps.AddRange(ParsePreTokenizer(s));
                break;
            case "Metaspace":
                string replacement = Str(p, "replacement") ?? "\u2581";
                if (replacement.Length != 1) throw new NotSupportedException($"Metaspace replacement '{replacement}' (one character is supported)");
                // Files before tokenizers 0.19 say add_prefix_space instead of prepend_scheme.
                PrependScheme scheme = Str(p, "prepend_scheme") switch
                {
                    "always" => PrependScheme.Always,
                    "first" => PrependScheme.First,
                    "never" => PrependScheme.Never,
                    null => Flag(p, "add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never,
                    string other => throw new NotSupportedException($"Metaspace prepend_scheme '{other}'"),
                };
                steps.Add(new MetaspaceStep(replacement[0], scheme, Flag(p, "split", true)));
                break;
            default:
                throw new NotSupportedException($"pre-tokenizer type '{type}' with a BPE model");
        }
        return steps;
    }

    private static SpecialTokenTemplate ParsePostProcessor(JsonElement? element, Func<string, int?> lookup)
    {
        if (element is not JsonElement p) return SpecialTokenTemplate.None;
        string type = p.GetProperty("type").GetString()!;
        switch (type)
        {
            case "TemplateProcessing":
                var prefix = new List<int>();
                var suffix = new List<int>();
                bool seenSequence = false;
                foreach (JsonElement item in p.GetProperty("single").EnumerateArray())
                {
                    if (item.TryGetProperty("Sequence", out _))
                    {
                        seenSequence = true;
                        continue;
                    }
                    string id = item.GetProperty("SpecialToken").GetProperty("id").GetString()!;
                    IEnumerable<int> ids = p.GetProperty("special_tokens").TryGetProperty(id, out JsonElement st)
                        ? st.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())
                        : [lookup(id) ?? throw new InvalidDataException($"template token '{id}' is not defined")];
                    (seenSequence ? suffix : prefix).AddRange(ids);
                }
                return new SpecialTokenTemplate(prefix, suffix);
            case "BertProcessing":
            case "RobertaProcessing":
                return new SpecialTokenTemplate([p.GetProperty("cls")[1].GetInt32()], [p.GetProperty("sep")[1].GetInt32()]);
            case "ByteLevel":
                return SpecialTokenTemplate.None;
            case "Sequence":
                SpecialTokenTemplate combined = SpecialTokenTemplate.None;
                foreach (JsonElement step in p.GetProperty("processors").EnumerateArray())
                {
                    SpecialTokenTemplate s = ParsePostProcessor(step, lookup);
                    if (s.Count > 0) combined = s;
                }
                return combined;
            default:
                throw new NotSupportedException($"post-processor type '{type}'");
        }
    }
}
