using Search.Segmentation.Analysis;
using Search.Indexing.Lexical;

namespace Search.Indexing.Tests;

/// <summary>The BM25 engine against brute-force scoring written straight from the formula, and its pruning against exhaustive scoring.</summary>
public class Bm25IndexTests
{
    private static readonly Analyzer Plain = new(new HashSet<string>(), stem: false);

    private sealed record Seg(long Doc, int Ordinal, string Title, string Section, string Body);

    private static Dictionary<(long, int), double> BruteForce(List<Seg> live, string query, Bm25Parameters p)
    {
        var fields = live.Select(s => new[] { Plain.Analyze(s.Title), Plain.Analyze(s.Section), Plain.Analyze(s.Body) }).ToList();
        int n = live.Count;
        var avg = new double[3];
        for (int f = 0; f < 3; f++) avg[f] = fields.Average(x => (double)x[f].Count);
        double[] weights = [p.TitleWeight, p.SectionWeight, p.BodyWeight];
        var scores = new Dictionary<(long, int), double>();
        foreach (var group in Plain.Analyze(query).GroupBy(t => t))
        {
            string term = group.Key;
            int df = fields.Count(x => x.Any(f => f.Contains(term)));
            if (df == 0) continue;
            double idf = Math.Log(1 + (n - df + 0.5) / (df + 0.5)) * group.Count();
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int f = 0; f < 3; f++)
                {
                    int tf = fields[i][f].Count(t => t == term);
                    if (tf == 0) continue;
                    double norm = 1 - p.B + p.B * fields[i][f].Count / avg[f];
                    s += weights[f] * idf * tf / (tf + p.K1 * norm);
                }
                if (s > 0) scores[(live[i].Doc, live[i].Ordinal)] = scores.GetValueOrDefault((live[i].Doc, live[i].Ordinal)) + s;
            }
        }
        return scores;
    }

    private static string RandomText(Random rng, int words, int vocabulary)
    {
        var w = new string[words];
        for (int i = 0; i < words; i++) w[i] = "t" + (int)Math.Floor(Math.Pow(rng.NextDouble(), 2) * vocabulary); // skewed like natural text
        return string.Join(' ', w);
    }

    [Theory]
    [InlineData(1, 0.9, 0.4)]
    [InlineData(2, 1.2, 0.75)]
    [InlineData(3, 0.0, 0.0)]
    [InlineData(4, 2.0, 1.0)]
    public void Top_k_equals_brute_force_on_random_corpora(int seed, double k1, double b)
    {
        var rng = new Random(seed);
        var p = new Bm25Parameters(k1, b, TitleWeight: 1 + rng.NextDouble(), SectionWeight: rng.NextDouble(), BodyWeight: 1);
        using var index = LexicalIndex.InMemory(Plain, p);
        var live = new Dictionary<long, List<Seg>>();
        for (int round = 0; round < 3; round++)
        {
            for (int d = 0; d < 60; d++)
            {
                long id = rng.Next(80);
                int count = rng.Next(0, 4);
                var segs = Enumerable.Range(0, count).Select(o => new Seg(id, o, RandomText(rng, rng.Next(0, 4), 30), RandomText(rng, rng.Next(0, 3), 20), RandomText(rng, rng.Next(1, 40), 60))).ToList();
                index.Upsert(new IndexedDocument(id, segs.FirstOrDefault()?.Title ?? "", segs.Select(s => new IndexedSegment(s.Ordinal, s.Section, s.Body)).ToList()));
                // The title is a document field: every segment carries the document's title.
                live[id] = segs.Select(s => s with { Title = segs[0].Title }).ToList();
            }
            foreach (var id in live.Keys.Where(_ => rng.Next(5) == 0).ToList())
            {
                index.Remove(id);
                live.Remove(id);
            }
            var all = live.Values.SelectMany(x => x).ToList();
            Assert.Equal(all.Count, index.SegmentCount);
            index.WaitForMerges(); // a merge finishing between two searches would change the statistics
            // With tombstones present the statistics still count deleted documents (as Lucene's do), so pruning is
            // checked against exhaustive scoring here, and the formula against brute force after a merge purges them.
            for (int q = 0; q < 40; q++)
            {
                string query = RandomText(rng, rng.Next(1, 6), 70);
                foreach (bool byDocument in new[] { false, true })
                {
                    var pruned = index.Search(new LexicalQuery(query, 10, byDocument));
                    var exhaustive = index.Search(new LexicalQuery(query, 10, byDocument, Exhaustive: true));
                    Assert.Equal(exhaustive, pruned);
                    Assert.Equal(index.Search(new LexicalQuery(query, 10, byDocument, RequireAllTerms: true, Exhaustive: true)),
                        index.Search(new LexicalQuery(query, 10, byDocument, RequireAllTerms: true)));
                }
            }
            index.ForceMerge();
            for (int q = 0; q < 40; q++)
            {
                string query = RandomText(rng, rng.Next(1, 6), 70);
                var expected = BruteForce(all, query, p)
                    .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).Take(10).ToList();
                var actual = index.Search(new LexicalQuery(query, 10));
                Assert.Equal(expected.Count, actual.Count);
                for (int i = 0; i < expected.Count; i++)
                {
                    Assert.Equal(expected[i].Value, actual[i].Score, 9);
                    // Near-equal scores may order differently by rounding; compare identities only where scores differ clearly.
                    if (i + 1 < expected.Count && expected[i].Value - expected[i + 1].Value > 1e-9 && (i == 0 || expected[i - 1].Value - expected[i].Value > 1e-9))
                        Assert.Equal(expected[i].Key, (actual[i].DocumentId, actual[i].Ordinal));
                    var c = actual[i].Components;
                    Assert.Equal(actual[i].Score, c.Title + c.Section + c.Body, 9);
                }
            }
        }
    }

    [Fact]
    public void Grouping_by_document_returns_each_documents_best_segment()
    {
        using var index = LexicalIndex.InMemory(Plain, new Bm25Parameters());
        index.Upsert(new IndexedDocument(1, "", [new(0, "", "apple"), new(1, "", "apple apple banana"), new(2, "", "cherry")]));
        index.Upsert(new IndexedDocument(2, "", [new(0, "", "apple banana")]));
        index.Upsert(new IndexedDocument(3, "", [new(0, "", "cherry")]));
        var bySegment = index.Search(new LexicalQuery("apple banana", 10));
        var byDocument = index.Search(new LexicalQuery("apple banana", 10, GroupByDocument: true));
        Assert.Equal(3, bySegment.Count);
        Assert.Equal(2, byDocument.Count);
        foreach (var hit in byDocument)
            Assert.Equal(bySegment.Where(h => h.DocumentId == hit.DocumentId).Max(h => h.Score), hit.Score);
    }

    [Fact]
    public void Filters_exclude_documents_and_k_limits_hits()
    {
        using var index = LexicalIndex.InMemory(Plain, new Bm25Parameters());
        for (int d = 0; d < 20; d++) index.Upsert(new IndexedDocument(d, "", [new(0, "", "shared term " + d)]));
        var hits = index.Search(new LexicalQuery("shared", 5, DocumentFilter: id => id % 2 == 0));
        Assert.Equal(5, hits.Count);
        Assert.All(hits, h => Assert.Equal(0, h.DocumentId % 2));
        Assert.Equal([0L, 2, 4, 6, 8], hits.Select(h => h.DocumentId)); // equal scores: ordered by id
    }

    [Fact]
    public void Replacing_and_removing_documents_never_resurfaces_old_text()
    {
        using var index = LexicalIndex.InMemory(Plain, new Bm25Parameters());
        for (int round = 0; round < 3000; round++)
            index.Upsert(new IndexedDocument(round % 10, "", [new(0, "", "version" + round)]));
        Assert.Equal(10, index.SegmentCount);
        Assert.Empty(index.Search(new LexicalQuery("version5", 10)));
        Assert.Single(index.Search(new LexicalQuery("version2995", 10)));
        index.Remove(5);
        Assert.Empty(index.Search(new LexicalQuery("version2995", 10)));
        Assert.Equal(9, index.SegmentCount);
    }

    [Fact]
    public void Queries_without_known_terms_return_nothing()
    {
        using var index = LexicalIndex.InMemory(Analyzer.English, new Bm25Parameters());
        Assert.Empty(index.Search(new LexicalQuery("anything", 10)));
        index.Upsert(new IndexedDocument(1, "Title", [new(0, "", "body text")]));
        Assert.Empty(index.Search(new LexicalQuery("the of", 10)));
        Assert.Empty(index.Search(new LexicalQuery("zebra", 10)));
        Assert.Single(index.Search(new LexicalQuery("title", 10)));
    }

    [Fact]
    public void Segment_frequency_counts_segments_with_the_word_in_any_field_as_analysed()
    {
        using var index = LexicalIndex.InMemory(Analyzer.English, new Bm25Parameters());
        Assert.Equal(0, index.SegmentFrequency("turbine"));
        index.Upsert(new IndexedDocument(1, "Turbines", [new(0, "", "gearbox wear"), new(1, "", "the turbine hums"), new(2, "Blades", "rotor")]));
        index.Upsert(new IndexedDocument(2, "Birds", [new(0, "Turbine strikes", "plovers"), new(1, "", "plovers nest")]));
        // Titles count for every segment of their document; stems join "turbines", "Turbine" and "turbine".
        Assert.Equal(4, index.SegmentFrequency("TURBINES"));
        Assert.Equal(2, index.SegmentFrequency("plover"));
        Assert.Equal(1, index.SegmentFrequency("blades"));
        Assert.Equal(0, index.SegmentFrequency("the"));
        Assert.Equal(0, index.SegmentFrequency("zebra"));
    }

    [Fact]
    public void Parameters_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LexicalIndex.InMemory(Plain, new Bm25Parameters(B: 1.5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => LexicalIndex.InMemory(Plain, new Bm25Parameters(K1: -1)));
    }
}
