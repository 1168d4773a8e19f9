using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Search.Indexing.Embeddings;
using Search.Segmentation.Analysis;

namespace Search.Benchmarks;

/// <summary>
/// <c>./search bench embeddings</c>: training time of the zero-download corpus embedder, embedding
/// throughput and the time to learn its word classes on a deterministic topical corpus (each segment mixes a Zipfian background vocabulary
/// with the words of one of 200 topics, as real collections mix function and topic words).
/// </summary>
public static class EmbeddingBenchmark
{
    /// <summary>Runs the benchmark over <paramref name="segments"/> synthetic segments, writing the report to <paramref name="log"/>; returns the JSON summary.</summary>
    public static string Run(int segments, int dimension, int seed, TextWriter log)
    {
        var texts = Corpus(segments, seed);
        long bytes = 0;
        foreach (var t in texts) bytes += t.Length;
        var clock = Stopwatch.StartNew();
        var embedder = CorpusEmbedderTrainer.Train(texts, new CorpusEmbedderOptions(dimension, seed), Analyzer.English);
        double train = clock.Elapsed.TotalSeconds;
        log.WriteLine($"trained on {segments:N0} segments ({bytes / 1e6:0.0} MB) in {train:0.00} s: {embedder.Vocabulary:N0} terms, {embedder.Dimension} dimensions");
        var vectors = new float[embedder.Dimension];
        int single = Math.Min(segments, 20_000);
        clock.Restart();
        for (int i = 0; i < single; i++) embedder.Embed(texts[i], vectors);
        double perSecondOneCore = single / clock.Elapsed.TotalSeconds;
        clock.Restart();
        var all = new float[(long)segments * embedder.Dimension > int.MaxValue ? 0 : segments * embedder.Dimension];
        if (all.Length > 0) Parallel.For(0, segments, i => embedder.Embed(texts[i], all.AsSpan(i * embedder.Dimension, embedder.Dimension)));
        double perSecondAll = all.Length > 0 ? segments / clock.Elapsed.TotalSeconds : 0;
        log.WriteLine($"embedding: {perSecondOneCore:N0} segments/s on one core, {perSecondAll:N0} segments/s on {Environment.ProcessorCount} cores");
        clock.Restart();
        var classes = WordClassLearner.Learn(embedder, segments);
        double classing = clock.Elapsed.TotalSeconds;
        log.WriteLine($"word classes for segmentation: {classes?.Count ?? 0:N0} over {classes?.Words ?? 0:N0} words in {classing:0.00} s");
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["segments"] = segments,
            ["megabytes"] = Math.Round(bytes / 1e6, 2),
            ["dimension"] = embedder.Dimension,
            ["vocabulary"] = embedder.Vocabulary,
            ["train_seconds"] = Math.Round(train, 3),
            ["embed_segments_per_s_one_core"] = Math.Round(perSecondOneCore),
            ["embed_segments_per_s"] = Math.Round(perSecondAll),
            ["word_classes"] = classes?.Count ?? 0,
            ["word_class_seconds"] = Math.Round(classing, 3),
            ["cores"] = Environment.ProcessorCount,
        });
    }

    private static List<string> Corpus(int segments, int seed)
    {
        const int Background = 20_000, Topics = 200, TopicWords = 300;
        var rng = new Random(seed);
        var cdf = new double[Background];
        double sum = 0;
        for (int r = 0; r < Background; r++) cdf[r] = sum += 1.0 / (r + 1);
        for (int r = 0; r < Background; r++) cdf[r] /= sum;
        var texts = new List<string>(segments);
        var sb = new StringBuilder(1024);
        for (int s = 0; s < segments; s++)
        {
            sb.Clear();
            int topic = rng.Next(Topics), length = 40 + rng.Next(80);
            for (int t = 0; t < length; t++)
            {
                if (t > 0) sb.Append(' ');
                int word = rng.Next(10) < 4
                    ? Background + topic * TopicWords + (int)(TopicWords * Math.Pow(rng.NextDouble(), 2))
                    : Math.Min(Array.BinarySearch(cdf, rng.NextDouble()) is int i && i < 0 ? ~i : i, Background - 1);
                Word(sb, word);
            }
            texts.Add(sb.ToString());
        }
        return texts;
    }

    // Letters only, so the analyzer treats every word as a term: base-26 with a leading 'q'.
    private static void Word(StringBuilder sb, int id)
    {
        sb.Append('q');
        do
        {
            sb.Append((char)('a' + id % 26));
            id /= 26;
        }
        while (id > 0);
    }
}
