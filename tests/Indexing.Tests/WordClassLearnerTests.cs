using Search.Indexing.Embeddings;
using Search.Segmentation.Analysis;

namespace Search.Indexing.Tests;

/// <summary>Word classes learned from a collection's own embedding.</summary>
public class WordClassLearnerTests
{
    // Four topics of 200 words (many more words than the embedding has dimensions, as in any real collection); each unit draws 8 words of one topic, and a document runs through several topics.
    private static List<IReadOnlyList<string>> Documents(int seed, out string[][] topics)
    {
        var vocabulary = new string[4][];
        for (int t = 0; t < 4; t++) vocabulary[t] = Enumerable.Range(0, 200).Select(i => $"topic{(char)('a' + t)}word{(char)('a' + i / 26)}{(char)('a' + i % 26)}").ToArray();
        topics = vocabulary;
        var rng = new Random(seed);
        var documents = new List<IReadOnlyList<string>>();
        for (int d = 0; d < 40; d++)
        {
            var units = new List<string>();
            for (int part = 0; part < 4; part++)
            {
                var words = vocabulary[rng.Next(4)];
                for (int u = 0; u < 10; u++) units.Add(string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[rng.Next(words.Length)])) + ".");
            }
            documents.Add(units);
        }
        return documents;
    }

    private static string Term(string word)
    {
        string term = "";
        Analyzer.English.Analyze(word, t => term = t.ToString());
        return term;
    }

    [Fact]
    public void Words_used_together_share_a_class()
    {
        var classes = WordClassLearner.Learn(Documents(1, out var topics), Analyzer.English);
        Assert.NotNull(classes);
        int terms = topics.SelectMany(t => t).Select(Term).Distinct().Count(); // the stemmer joins a few ("…wordas" and "…worda")
        Assert.Equal(terms, classes.Words);
        Assert.Equal(terms / 16, classes.Count);
        // Count each class's words per topic: a class should be one topic's.
        var perClass = new Dictionary<int, int[]>();
        int words = 0;
        for (int t = 0; t < topics.Length; t++)
            foreach (var word in topics[t])
            {
                Assert.True(classes.TryGetClass(Term(word), out int c), word);
                if (!perClass.TryGetValue(c, out var counts)) perClass[c] = counts = new int[topics.Length];
                counts[t]++;
                words++;
            }
        int inMajority = perClass.Values.Sum(counts => counts.Max());
        Assert.True(inMajority >= 0.97 * words, $"only {inMajority} of {words} words are in a class of their own topic");
        // Every topic leads classes of its own.
        Assert.Equal(topics.Length, perClass.Values.Select(counts => Array.IndexOf(counts, counts.Max())).Distinct().Count());
    }

    [Fact]
    public void The_same_collection_gives_the_same_classes_and_too_few_words_give_none()
    {
        var documents = Documents(2, out var topics);
        var first = WordClassLearner.Learn(documents, Analyzer.English)!;
        var second = WordClassLearner.Learn(documents, Analyzer.English)!;
        foreach (var word in topics.SelectMany(t => t))
        {
            Assert.True(first.TryGetClass(Term(word), out int a));
            Assert.True(second.TryGetClass(Term(word), out int b));
            Assert.Equal(a, b);
        }
        Assert.Null(WordClassLearner.Learn([["one short unit.", "another short unit."]], Analyzer.English));
        Assert.Null(WordClassLearner.Learn([], Analyzer.English));
    }
}
