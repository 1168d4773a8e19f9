using Search.Segmentation.Analysis;

namespace Search.Indexing.Embeddings;

/// <summary>Settings of the corpus-learned embedder.</summary>
/// <param name="Dimension">Latent dimensions kept (fewer when the collection is small).</param>
/// <param name="Seed">Seed of the random sketch: the same collection and seed give the same model.</param>
/// <param name="MinDocumentFrequency">Terms in fewer segments than this are left to the sub-word estimate.</param>
public sealed record CorpusEmbedderOptions(int Dimension = 100, int Seed = 42, int MinDocumentFrequency = 1);

/// <summary>
/// Learns a <see cref="CorpusEmbedder"/> from a collection's segments alone (never from queries or
/// judgments): sublinear tf-idf rows, then a randomized truncated SVD.
/// </summary>
public static class CorpusEmbedderTrainer
{
    /// <summary>The weight of a term found in <paramref name="documentFrequency"/> of <paramref name="texts"/> training texts.</summary>
    internal static float Idf(int documentFrequency, int texts) => (float)Math.Log((texts + 1.0) / (documentFrequency + 0.5));

    /// <summary>How many of the <paramref name="texts"/> training texts held a term, recovered from its <see cref="Idf"/>.</summary>
    internal static double DocumentFrequency(float idf, int texts) => (texts + 1.0) / Math.Exp(idf) - 0.5;

    /// <summary>Trains on the texts (one per segment, situated or plain).</summary>
    public static CorpusEmbedder Train(IReadOnlyList<string> texts, CorpusEmbedderOptions options, Analyzer analyzer, string name = "collection")
    {
        var terms = new Dictionary<string, int>(StringComparer.Ordinal);
        var documentFrequency = new List<int>();
        var bags = new List<Dictionary<int, int>>(texts.Count);
        foreach (var text in texts)
        {
            var bag = new Dictionary<int, int>();
            var lookup = terms.GetAlternateLookup<ReadOnlySpan<char>>();
            analyzer.Analyze(text, term =>
            {
                if (!lookup.TryGetValue(term, out int id))
                {
                    lookup[term] = id = terms.Count;
                    documentFrequency.Add(0);
                }
                bag[id] = bag.GetValueOrDefault(id) + 1;
            });
            foreach (int id in bag.Keys) documentFrequency[id]++;
            bags.Add(bag);
        }
        // Keep terms seen often enough; renumber them densely.
        var keep = new int[terms.Count];
        var kept = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (term, id) in terms)
            keep[id] = documentFrequency[id] >= options.MinDocumentFrequency ? (kept[term] = kept.Count) : -1;
        int n = texts.Count, v = kept.Count;
        var idf = new float[v];
        foreach (var (term, id) in terms)
            if (keep[id] >= 0) idf[keep[id]] = Idf(documentFrequency[id], n);
        var rows = new List<RandomizedSvd.SparseRow>(n);
        foreach (var bag in bags)
        {
            var cols = new List<int>(bag.Count);
            var vals = new List<float>(bag.Count);
            double norm = 0;
            foreach (var (id, count) in bag)
            {
                int c = keep[id];
                if (c < 0) continue;
                float w = (1 + MathF.Log(count)) * idf[c];
                cols.Add(c);
                vals.Add(w);
                norm += (double)w * w;
            }
            float scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0;
            for (int i = 0; i < vals.Count; i++) vals[i] *= scale;
            rows.Add(new RandomizedSvd.SparseRow([.. cols], [.. vals]));
        }
        int dimension = Math.Max(1, Math.Min(options.Dimension, Math.Min(n, v) - 1));
        if (v == 0 || n < 2) return new CorpusEmbedder(kept, idf, new float[v * 1], 1, name, analyzer);
        var (right, _) = RandomizedSvd.Compute(rows, v, dimension, options.Seed);
        return new CorpusEmbedder(kept, idf, right, dimension, name, analyzer);
    }
}
