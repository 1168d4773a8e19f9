using System.Numerics.Tensors;
using Search.Segmentation.Analysis;

namespace Search.Indexing.Embeddings;

/// <summary>Settings of <see cref="WordClassLearner"/>.</summary>
/// <param name="WordsPerClass">Mean words a class holds: 16 gives classes about as wide as a topic's core vocabulary (chosen on the segmentation development sets over 4–64).</param>
/// <param name="MaxWords">The most frequent words classed; rarer ones add little cohesion and would only slow the clustering.</param>
/// <param name="MinSegments">Words seen in fewer segments have vectors too noisy to class.</param>
/// <param name="Iterations">Rounds of k-means.</param>
/// <param name="Seed">Seed of the initial centres: the same embedder and seed give the same classes.</param>
public sealed record WordClassOptions(int WordsPerClass = 16, int MaxWords = 16_384, int MinSegments = 3, int Iterations = 15, int Seed = 7);

/// <summary>
/// Learns <see cref="WordClasses"/> from a collection's embedder: spherical k-means over the unit vectors of
/// its words, so words the collection uses in the same contexts share a class.
/// </summary>
public static class WordClassLearner
{
    /// <summary>Units of text grouped into one training text: about a retrieval segment's worth of sentences or turns.</summary>
    public const int UnitsPerText = 5;

    /// <summary>
    /// Classes of the words of <paramref name="embedder"/>, learned from <paramref name="learnedFrom"/> texts;
    /// null when it knows too few words to class.
    /// </summary>
    public static WordClasses? Learn(CorpusEmbedder embedder, int learnedFrom, WordClassOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WordClassOptions();
        var (terms, idf, vectors) = embedder.TermVectors();
        int dimension = embedder.Dimension;
        var chosen = new List<int>();
        for (int t = 0; t < terms.Length; t++)
            if (CorpusEmbedderTrainer.DocumentFrequency(idf[t], learnedFrom) > options.MinSegments - 0.01) chosen.Add(t);
        chosen.Sort((a, b) => idf[a] != idf[b] ? idf[a].CompareTo(idf[b]) : string.CompareOrdinal(terms[a], terms[b]));
        if (chosen.Count > options.MaxWords) chosen.RemoveRange(options.MaxWords, chosen.Count - options.MaxWords);
        int n = chosen.Count, k = n / Math.Max(1, options.WordsPerClass);
        if (k < 2) return null;
        var points = new float[n * dimension];
        for (int i = 0; i < n; i++) vectors.AsSpan(chosen[i] * dimension, dimension).CopyTo(points.AsSpan(i * dimension, dimension));
        var assignment = KMeans(points, n, dimension, k, options, cancellationToken);
        var classOf = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++) classOf[terms[chosen[i]]] = assignment[i];
        return new WordClasses(classOf, k);
    }

    /// <summary>
    /// Classes learned from documents given as units (sentences, turns) alone, as a collection's embedder
    /// would learn them from its segments: <see cref="UnitsPerText"/> consecutive units make one training text.
    /// </summary>
    public static WordClasses? Learn(IEnumerable<IReadOnlyList<string>> documents, Analyzer analyzer, WordClassOptions? options = null)
    {
        var texts = new List<string>();
        var text = new System.Text.StringBuilder();
        foreach (var units in documents)
            for (int i = 0; i < units.Count; i += UnitsPerText)
            {
                text.Clear();
                for (int u = i; u < Math.Min(units.Count, i + UnitsPerText); u++) text.Append(units[u]).Append(' ');
                texts.Add(text.ToString());
            }
        if (texts.Count == 0) return null;
        return Learn(CorpusEmbedderTrainer.Train(texts, new CorpusEmbedderOptions(), analyzer), texts.Count, options);
    }

    private static int[] KMeans(float[] points, int n, int dimension, int k, WordClassOptions options, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed);
        var centres = new float[k * dimension];
        // Distinct words as initial centres (a partial Fisher–Yates shuffle of the word order).
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int c = 0; c < k; c++)
        {
            int pick = random.Next(c, n);
            (order[c], order[pick]) = (order[pick], order[c]);
            points.AsSpan(order[c] * dimension, dimension).CopyTo(centres.AsSpan(c * dimension, dimension));
        }
        var assignment = new int[n];
        var sizes = new int[k];
        for (int round = 0; round < options.Iterations; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool moved = false;
            Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                var point = new ReadOnlySpan<float>(points, i * dimension, dimension);
                int best = 0;
                float bestScore = float.NegativeInfinity;
                for (int c = 0; c < k; c++)
                {
                    float score = TensorPrimitives.Dot(point, new ReadOnlySpan<float>(centres, c * dimension, dimension));
                    if (score > bestScore)
                    {
                        bestScore = score;
                        best = c;
                    }
                }
                if (assignment[i] != best || round == 0)
                {
                    assignment[i] = best;
                    moved = true;
                }
            });
            if (!moved) break;
            Array.Clear(centres);
            Array.Clear(sizes);
            for (int i = 0; i < n; i++)
            {
                var centre = centres.AsSpan(assignment[i] * dimension, dimension);
                TensorPrimitives.Add(centre, points.AsSpan(i * dimension, dimension), centre);
                sizes[assignment[i]]++;
            }
            for (int c = 0; c < k; c++)
            {
                var centre = centres.AsSpan(c * dimension, dimension);
                float norm = TensorPrimitives.Norm(centre);
                // An empty class restarts at a random word rather than staying lost.
                if (sizes[c] == 0 || norm == 0) points.AsSpan(random.Next(n) * dimension, dimension).CopyTo(centre);
                else TensorPrimitives.Divide(centre, norm, centre);
            }
        }
        return assignment;
    }
}
