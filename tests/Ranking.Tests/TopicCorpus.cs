using Search.Indexing.Dense;

namespace Search.Ranking.Tests;

/// <summary>Texts drawn from four distinct vocabularies, so which topic a dense hit belongs to is known.</summary>
internal static class TopicCorpus
{
    public static readonly string[] Topics =
    [
        "wind turbine gearbox bearing blade rotor generator maintenance",
        "shorebird plover sanderling nesting beach tideline migration",
        "subscription refund invoice payment billing cancellation plan",
        "glacier ice sheet melting sea level climate warming",
    ];

    /// <summary>Twelve random words of one topic and a common tail.</summary>
    public static string Text(Random rng, int topic)
    {
        var words = Topics[topic].Split(' ');
        return string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[rng.Next(words.Length)])) + " and the usual report.";
    }

    /// <summary><paramref name="perTopic"/> texts of each topic in turn: text i is about topic i / perTopic.</summary>
    public static List<string> Texts(int seed, int perTopic)
    {
        var rng = new Random(seed);
        var texts = new List<string>();
        for (int topic = 0; topic < Topics.Length; topic++)
            for (int i = 0; i < perTopic; i++) texts.Add(Text(rng, topic));
        return texts;
    }

    /// <summary>Dense segments of <paramref name="documents"/> documents with <paramref name="perDocument"/> segments each, topics cycling.</summary>
    public static List<DenseSegment> Segments(int seed, int documents, int perDocument)
    {
        var rng = new Random(seed);
        var segments = new List<DenseSegment>();
        for (int doc = 0; doc < documents; doc++)
            for (int ordinal = 0; ordinal < perDocument; ordinal++)
                segments.Add(new DenseSegment(doc, ordinal, "Title " + doc, "", Text(rng, (doc + ordinal) % Topics.Length) + " " + doc));
        return segments;
    }
}
