using Search.Segmentation.Analysis;

namespace Search.Segmentation.Topics;

/// <summary>
/// Short readable titles for transcript chapters: the key phrases (runs of content words within one
/// utterance) that are frequent in the chapter and rare in the episode's other chapters and, when the
/// collection's statistics are given, in the collection: 2–6 words in all.
/// </summary>
public static class ChapterTitler
{
    // Words of conversation that say nothing about its topic; function words come from the stop list.
    private static readonly HashSet<string> Filler = new(StringComparer.Ordinal)
    {
        "yeah", "yes", "okay", "ok", "oh", "uh", "um", "mm", "hmm", "mhm", "ah", "eh", "like", "know", "think", "mean", "sort",
        "kind", "really", "actually", "basically", "right", "well", "just", "gonna", "wanna", "gotta", "got", "get", "getting",
        "go", "going", "goes", "went", "say", "said", "says", "saying", "thing", "things", "stuff", "lot", "lots", "bit", "way",
        "one", "two", "something", "anything", "everything", "nothing", "someone", "anyone", "everyone", "also", "maybe",
        "probably", "sure", "good", "great", "nice", "fine", "cool", "let", "lets", "make", "made", "want", "need", "see",
        "look", "come", "take", "put", "use", "used", "much", "many", "quite", "pretty", "little", "big", "whatever", "even",
        "still", "already", "yet", "though", "anyway", "guess", "suppose", "able", "would", "could", "should", "might",
        "must", "shall", "will", "can", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won", "wouldn", "couldn",
        "shouldn", "ve", "ll", "re", "time", "times", "people", "person", "guys", "guy", "talk", "talking", "question",
        "point", "first", "second", "next", "last", "another", "every", "always", "never", "sometimes", "today", "now",
        "alright", "absolutely", "exactly", "definitely", "certainly", "obviously", "indeed", "perhaps", "sorry",
        "thank", "thanks", "please", "hello", "hi", "bye", "welcome", "year", "years", "day", "days", "minute", "minutes",
    };

    // Below this many segments a collection's word counts say more about its few documents than about its language.
    private const int MinimumCollectionSegments = 50;

    /// <summary>
    /// One title per chapter; <paramref name="chapters"/> holds each chapter's utterances. With
    /// <paramref name="collection"/>, a word common across the collection's segments (the show's name, the
    /// product every meeting designs) weighs less, down to half for a word in every segment: it tells this
    /// chapter from the episode's others but not from the rest of the collection.
    /// </summary>
    public static IReadOnlyList<string> Titles(IReadOnlyList<IReadOnlyList<string>> chapters, ITermStatistics? collection = null)
    {
        // Document frequency of each word over chapters: a word in every chapter names none of them.
        var perChapter = new List<Dictionary<string, Candidate>>(chapters.Count);
        var chapterFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var utterances in chapters)
        {
            var candidates = new Dictionary<string, Candidate>(StringComparer.Ordinal);
            var words = new HashSet<string>(StringComparer.Ordinal);
            foreach (var u in utterances) AddPhrases(NonSpeechAnnotations.Strip(u), candidates, words);
            foreach (var w in words) chapterFrequency[w] = chapterFrequency.GetValueOrDefault(w) + 1;
            perChapter.Add(candidates);
        }
        var titles = new List<string>(chapters.Count);
        var rarity = Rarity(chapterFrequency.Keys, collection);
        for (int c = 0; c < perChapter.Count; c++) titles.Add(Title(perChapter[c], chapterFrequency, rarity, chapters.Count, c));
        return titles;
    }

    private sealed class Candidate(string[] words)
    {
        public string[] Words { get; } = words;
        public int Count { get; set; }
    }

    private static void AddPhrases(string utterance, Dictionary<string, Candidate> candidates, HashSet<string> words)
    {
        var run = new List<string>();
        foreach (var raw in utterance.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string w = Normalize(raw);
            bool content = w.Length >= 3 && !StopWords.English.Contains(w) && !Filler.Contains(w) && !w.All(char.IsDigit);
            bool endsClause = raw.Length > 0 && ".,;:?!".Contains(raw[^1], StringComparison.Ordinal);
            if (content)
            {
                run.Add(w);
                words.Add(w);
                // Phrases of one to three consecutive content words ending here.
                for (int len = 1; len <= Math.Min(3, run.Count); len++)
                {
                    var phrase = run.GetRange(run.Count - len, len).ToArray();
                    string key = string.Join(' ', phrase);
                    if (!candidates.TryGetValue(key, out var cand)) candidates[key] = cand = new Candidate(phrase);
                    cand.Count++;
                }
            }
            if (!content || endsClause) run.Clear();
        }
    }

    private static string Normalize(string raw)
    {
        var span = raw.AsSpan().Trim("\"'“”‘’()[]{}.,;:?!-–—…*");
        int apostrophe = span.IndexOfAny('\'', '’');
        if (apostrophe > 0) span = span[..apostrophe]; // "budget's" → "budget", "don't" → "don"
        return span.ToString().ToLowerInvariant();
    }

    /// <summary>Each word's factor from the collection: 1 for a word the collection rarely uses, ½ for one in every segment.</summary>
    private static Dictionary<string, double>? Rarity(IEnumerable<string> words, ITermStatistics? collection)
    {
        if (collection is null || collection.Segments < MinimumCollectionSegments) return null;
        double n = collection.Segments, full = Math.Log(n + 1);
        var rarity = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var w in words)
        {
            double idf = Math.Log((n + 1) / (collection.SegmentFrequency(w) + 0.5));
            rarity[w] = 0.5 + 0.5 * Math.Clamp(idf / full, 0, 1);
        }
        return rarity;
    }

    private static string Title(Dictionary<string, Candidate> candidates, Dictionary<string, int> chapterFrequency, Dictionary<string, double>? rarity, int chapters, int ordinal)
    {
        double Weight(string w) => (Math.Log(1.0 + (double)chapters / chapterFrequency.GetValueOrDefault(w, 1)) + 0.1) * (rarity?.GetValueOrDefault(w, 1) ?? 1);
        var scored = new List<(double Score, Candidate Phrase)>();
        foreach (var cand in candidates.Values)
        {
            // A phrase said once is an accident of wording; single words need to recur too.
            if (cand.Count < 2) continue;
            double weight = 0;
            foreach (var w in cand.Words) weight += Weight(w);
            scored.Add((cand.Count * weight, cand));
        }
        scored.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(string.Join(' ', a.Phrase.Words), string.Join(' ', b.Phrase.Words)));
        var chosen = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        int total = 0;
        foreach (var (_, phrase) in scored)
        {
            if (total >= 4 || chosen.Count == 3) break;
            if (phrase.Words.Any(used.Contains) || total + phrase.Words.Length > 6) continue;
            chosen.Add(string.Join(' ', phrase.Words));
            foreach (var w in phrase.Words) used.Add(w);
            total += phrase.Words.Length;
        }
        if (total < 2) return $"Chapter {ordinal + 1}" + (chosen.Count > 0 ? ": " + chosen[0] : "");
        string title = string.Join(", ", chosen);
        return char.ToUpperInvariant(title[0]) + title[1..];
    }
}
