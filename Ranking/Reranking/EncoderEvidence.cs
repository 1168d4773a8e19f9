using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Search.Indexing.Dense;
using Search.Indexing.Embeddings;
using Search.Models;
using Search.Models.Bert;
using Search.Segmentation.Analysis;
using Search.Segmentation.Structure;

namespace Search.Ranking.Reranking;

/// <summary>
/// What the packaged encoders say about a query and its candidates, for the learned ranker: per encoder the cosine of
/// the pooled query and passage vectors (the raw query, not the feedback-moved one retrieval used, and the passage up to
/// the encoder's length), and a late-interaction match (ColBERT's MaxSim): each query word's best cosine with any of the
/// passage's token states, averaged with the word's BM25 idf as its weight, so stop words count for nothing; and the
/// cosine of the passage's best sentence with the query (MaxP: a long passage that answers in one sentence is not
/// diluted); the cosine of the passage with the mean vector of the top hybrid candidates (pseudo-relevance feedback);
/// and the mean hybrid score of its nearest other candidates in the encoder's space (cluster hypothesis). Passage
/// states are computed once and kept in a byte-bounded LRU cache keyed by the passage text.
/// </summary>
public sealed class EncoderEvidence
{
    /// <summary>One encoder the evidence comes from, with the name its features carry.</summary>
    public sealed record Source(string FeatureName, TextEncoder Encoder, EncoderDescription Description);

    // Passages encoded per model call, and the query's token limit (queries are short; a long one is cut).
    private const int Batch = 16, QueryTokens = 64;

    private readonly Lazy<IReadOnlyList<Source>> _sources;
    private readonly PassageStateCache _cache;
    private readonly Analyzer _analyzer;

    /// <summary>Evidence from <paramref name="sources"/> (in <see cref="Packaged"/>'s order), caching at most <paramref name="cacheBytes"/> of passage states.</summary>
    public EncoderEvidence(IReadOnlyList<Source> sources, long cacheBytes, Analyzer? analyzer = null)
        : this(new Lazy<IReadOnlyList<Source>>(sources), cacheBytes, analyzer)
    {
        if (sources.Count != Packaged.Count) throw new ArgumentException($"evidence needs {Packaged.Count} encoders", nameof(sources));
    }

    private EncoderEvidence(Lazy<IReadOnlyList<Source>> sources, long cacheBytes, Analyzer? analyzer)
    {
        _sources = sources;
        _cache = new PassageStateCache(cacheBytes);
        _analyzer = analyzer ?? Analyzer.English;
    }

    /// <summary>The packaged encoders the evidence comes from, each with the short name its features carry.</summary>
    public static readonly IReadOnlyList<(string FeatureName, string Encoder)> Packaged = [("minilm", "all-minilm-l6-v2"), ("arctic", "arctic-embed-xs")];

    /// <summary>
    /// The ranker features the evidence fills, in the order <see cref="Compute"/> returns them: per packaged encoder the
    /// query cosine, the MaxSim match, the best sentence's cosine, the feedback cosine and the neighbours' hybrid score.
    /// </summary>
    public static readonly IReadOnlyList<string> FeatureNames =
        [.. Packaged.SelectMany(p => new[] { "_cosine_z", "_maxsim_z", "_sentence_z", "_feedback_z", "_neighbours_z" }.Select(s => p.FeatureName + s))];

    // Signals per encoder; the top candidates (in hybrid order) that stand for the relevant ones in the feedback cosine;
    // the nearest other candidates whose hybrid scores a candidate's neighbour signal averages (the cluster hypothesis).
    private const int Signals = 5, FeedbackCandidates = 10, Neighbours = 3;

    /// <summary>
    /// Evidence from the packaged encoders as <paramref name="embedders"/> loads them (same runtime and device as the
    /// collections' vectors) on the first query, caching at most <paramref name="cacheBytes"/> of passage states.
    /// </summary>
    public static EncoderEvidence FromPackaged(EmbedderRegistry embedders, long cacheBytes) => new(new Lazy<IReadOnlyList<Source>>(() =>
    {
        var sources = new List<Source>(Packaged.Count);
        foreach (var (feature, name) in Packaged)
        {
            var generator = embedders.Get(name);
            var encoder = generator.GetService<TextEncoder>() ?? throw new InvalidOperationException($"the embedder {name} exposes no encoder");
            var description = generator.GetService<EncoderDescription>() ?? throw new InvalidOperationException($"the embedder {name} has no description");
            sources.Add(new Source(feature, encoder, description));
        }
        return sources;
    }), cacheBytes, null);

    /// <summary>Loads the encoders now rather than on the first query.</summary>
    public void Prepare() => _ = _sources.Value;

    /// <summary>Bytes of passage states held now.</summary>
    public long CachedBytes => _cache.Bytes;

    /// <summary>
    /// One row per feature of <see cref="FeatureNames"/> (raw, not yet standardised), each with one value per candidate, in the candidates' order.
    /// Safe to call from concurrent queries.
    /// </summary>
    public double[][] Compute(RankerQuery query, IReadOnlyList<RankerCandidate> candidates, CancellationToken ct = default)
    {
        var sources = _sources.Value;
        var rows = new double[Signals * sources.Count][];
        for (int s = 0; s < sources.Count; s++)
        {
            ct.ThrowIfCancellationRequested();
            var source = sources[s];
            var passages = PassageStates(s, source, candidates, ct);
            var pooled = source.Encoder.Embed([source.Description.QueryPrefix + query.Text], QueryTokens)[0];
            var (tokens, weights) = QueryTokenStates(source.Encoder, query);
            var cosine = rows[Signals * s] = new double[candidates.Count];
            var maxSim = rows[Signals * s + 1] = new double[candidates.Count];
            var sentence = rows[Signals * s + 2] = new double[candidates.Count];
            for (int i = 0; i < candidates.Count; i++)
            {
                cosine[i] = TensorPrimitives.Dot(pooled, passages[i].Pooled);
                maxSim[i] = MaxSim(tokens, weights, passages[i]);
                sentence[i] = BestSentence(pooled, passages[i]);
            }
            rows[Signals * s + 3] = Feedback(passages);
            rows[Signals * s + 4] = NeighbourScores(passages, candidates);
        }
        return rows;
    }

    private PassageStates[] PassageStates(int sourceIndex, Source source, IReadOnlyList<RankerCandidate> candidates, CancellationToken ct)
    {
        var states = new PassageStates[candidates.Count];
        var keys = new UInt128[candidates.Count];
        var missing = new List<int>();
        for (int i = 0; i < candidates.Count; i++)
        {
            keys[i] = EmbeddingJournal.Key(candidates[i].Text);
            if (_cache.TryGet(sourceIndex, keys[i], out var found)) states[i] = found;
            else missing.Add(i);
        }
        var encoder = source.Encoder;
        int limit = Math.Min(source.Description.MaxTokens, encoder.Encoder.MaxPositions);
        var ids = new List<int[]>(Batch);
        for (int start = 0; start < missing.Count; start += Batch)
        {
            ct.ThrowIfCancellationRequested();
            ids.Clear();
            int end = Math.Min(missing.Count, start + Batch);
            for (int j = start; j < end; j++) ids.Add(encoder.Tokenizer.Encode(candidates[missing[j]].Text, maxLength: limit));
            var output = encoder.Encoder.Encode(ids);
            var pooled = output.Pool(encoder.Pooling, normalize: true);
            for (int j = start; j < end; j++)
            {
                int b = j - start;
                var p = new PassageStates(pooled[b], TokenStates(output, b, output.Lengths[b]), SentenceVectors(encoder, candidates[missing[j]].Text, pooled[b], limit), output.HiddenSize);
                _cache.Add(sourceIndex, keys[missing[j]], p);
                states[missing[j]] = p;
            }
        }
        return states;
    }

    /// <summary>
    /// The pooled unit vectors of the passage's sentences, row after row (the passage's own vector when it is one sentence).
    /// </summary>
    private static float[] SentenceVectors(TextEncoder encoder, string text, float[] whole, int limit)
    {
        var ends = SentenceSplitter.Ends(text);
        if (ends.Count == 0) return whole;
        var sentences = new List<int[]>(ends.Count + 1);
        int start = 0;
        for (int e = 0; e <= ends.Count; e++)
        {
            int end = e < ends.Count ? ends[e] : text.Length;
            var piece = text.AsSpan(start, end - start).Trim();
            start = end;
            if (piece.IsEmpty) continue;
            sentences.Add(encoder.Tokenizer.Encode(piece.ToString(), maxLength: limit));
        }
        int d = whole.Length;
        var vectors = new float[sentences.Count * d];
        for (int first = 0; first < sentences.Count; first += Batch)
        {
            var batch = sentences.GetRange(first, Math.Min(Batch, sentences.Count - first));
            var pooled = encoder.Encoder.Encode(batch).Pool(encoder.Pooling, normalize: true);
            for (int i = 0; i < pooled.Length; i++) pooled[i].CopyTo(vectors, (first + i) * d);
        }
        return vectors;
    }

    /// <summary>The unit-length states of a sequence's tokens between its first and last (special) token, row after row.</summary>
    private static float[] TokenStates(BertOutput output, int sequence, int length)
    {
        int d = output.HiddenSize, n = Math.Max(0, length - 2);
        var states = new float[n * d];
        for (int t = 0; t < n; t++)
        {
            var row = states.AsSpan(t * d, d);
            output.State(sequence, t + 1).CopyTo(row);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
        return states;
    }

    /// <summary>
    /// The query's word pieces in context (the query encoded as [CLS] words [SEP], punctuation left out) with each
    /// piece weighted by its word's idf in the collection (0 for a word the analyser drops or the index lacks).
    /// </summary>
    private (float[] States, double[] Weights) QueryTokenStates(TextEncoder encoder, RankerQuery query)
    {
        var special = encoder.Tokenizer.Encode("");
        if (special.Length != 2) return ([], []);
        var ids = new List<int> { special[0] };
        var weights = new List<double>();
        var terms = new List<string>(1);
        foreach (string raw in RankerQuery.Words(query.Text))
        {
            if (ids.Count >= QueryTokens - 1) break;
            terms.Clear();
            _analyzer.Analyze(raw, terms);
            double weight = terms.Count > 0 && query.TermIdf.TryGetValue(terms[0], out double idf) ? idf : 0;
            foreach (int id in encoder.Tokenizer.Encode(raw, addSpecialTokens: false))
            {
                if (ids.Count >= QueryTokens - 1) break;
                ids.Add(id);
                weights.Add(weight);
            }
        }
        ids.Add(special[1]);
        var output = encoder.Encoder.Encode([ids.ToArray()]);
        return (TokenStates(output, 0, ids.Count), weights.ToArray());
    }

    /// <summary>The largest cosine of the query's vector with one of the passage's sentences.</summary>
    private static double BestSentence(float[] query, PassageStates passage)
    {
        int d = passage.Dimension;
        float best = float.NegativeInfinity;
        for (int i = 0; i < passage.Sentences.Length / d; i++) best = Math.Max(best, TensorPrimitives.Dot(query, passage.Sentences.AsSpan(i * d, d)));
        return float.IsFinite(best) ? best : 0;
    }

    /// <summary>Each candidate's mean hybrid score over its <see cref="Neighbours"/> most similar other candidates.</summary>
    private static double[] NeighbourScores(PassageStates[] passages, IReadOnlyList<RankerCandidate> candidates)
    {
        int n = passages.Length, k = Math.Min(Neighbours, n - 1);
        var scores = new double[n];
        if (k < 1) return scores;
        Span<float> nearest = stackalloc float[k];
        Span<int> which = stackalloc int[k];
        for (int i = 0; i < n; i++)
        {
            nearest.Fill(float.NegativeInfinity);
            which.Fill(-1);
            for (int j = 0; j < n; j++)
            {
                if (j == i) continue;
                float sim = TensorPrimitives.Dot(passages[i].Pooled, passages[j].Pooled);
                // Insertion into the k best so far, most similar first; ties keep the earlier (higher hybrid) candidate.
                int at = k;
                while (at > 0 && sim > nearest[at - 1]) at--;
                if (at == k) continue;
                for (int m = k - 1; m > at; m--)
                {
                    nearest[m] = nearest[m - 1];
                    which[m] = which[m - 1];
                }
                nearest[at] = sim;
                which[at] = j;
            }
            double sum = 0;
            for (int m = 0; m < k; m++) sum += candidates[which[m]].Hybrid;
            scores[i] = sum / k;
        }
        return scores;
    }

    /// <summary>Each passage's cosine with the mean vector of the top <see cref="FeedbackCandidates"/> (itself left out, so it does not vote for itself).</summary>
    private static double[] Feedback(PassageStates[] passages)
    {
        int n = passages.Length, f = Math.Min(FeedbackCandidates, n);
        var scores = new double[n];
        if (f < 2) return scores;
        int d = passages[0].Pooled.Length;
        var sum = new float[d];
        var centroid = new float[d];
        for (int i = 0; i < f; i++) TensorPrimitives.Add(sum, passages[i].Pooled, sum);
        for (int i = 0; i < n; i++)
        {
            if (i < f) TensorPrimitives.Subtract(sum, passages[i].Pooled, centroid);
            else sum.CopyTo(centroid, 0);
            scores[i] = TensorPrimitives.CosineSimilarity(centroid, passages[i].Pooled);
        }
        return scores;
    }

    /// <summary>The idf-weighted mean over query pieces of each one's best cosine with a passage token.</summary>
    private static double MaxSim(float[] query, double[] weights, PassageStates passage)
    {
        int d = passage.Dimension, tokens = passage.Tokens.Length / d;
        if (tokens == 0) return 0;
        double sum = 0, total = 0;
        for (int q = 0; q < weights.Length; q++)
        {
            if (weights[q] <= 0) continue;
            var row = query.AsSpan(q * d, d);
            float best = float.NegativeInfinity;
            for (int t = 0; t < tokens; t++) best = Math.Max(best, TensorPrimitives.Dot(row, passage.Tokens.AsSpan(t * d, d)));
            sum += weights[q] * best;
            total += weights[q];
        }
        return total > 0 ? sum / total : 0;
    }
}

/// <summary>One passage as an encoder saw it: its pooled unit vector, its tokens' unit states (special tokens left out) and its sentences' pooled unit vectors.</summary>
internal sealed record PassageStates(float[] Pooled, float[] Tokens, float[] Sentences, int Dimension)
{
    public long Bytes => 4L * (Pooled.Length + Tokens.Length + Sentences.Length) + 96;
}

/// <summary>A least-recently-used map from (encoder, passage text key) to <see cref="PassageStates"/>, bounded in bytes.</summary>
internal sealed class PassageStateCache(long budget)
{
    private readonly Dictionary<(int, UInt128), LinkedListNode<((int, UInt128) Key, PassageStates Value)>> _map = [];
    private readonly LinkedList<((int, UInt128) Key, PassageStates Value)> _order = new();
    private readonly Lock _gate = new();

    public long Bytes { get; private set; }

    public bool TryGet(int source, UInt128 key, out PassageStates states)
    {
        lock (_gate)
        {
            if (_map.TryGetValue((source, key), out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                states = node.Value.Value;
                return true;
            }
        }
        states = null!;
        return false;
    }

    public void Add(int source, UInt128 key, PassageStates states)
    {
        if (states.Bytes > budget) return;
        lock (_gate)
        {
            if (_map.ContainsKey((source, key))) return;
            _map[(source, key)] = _order.AddFirst(((source, key), states));
            Bytes += states.Bytes;
            while (Bytes > budget && _order.Last is { } last)
            {
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
                Bytes -= last.Value.Value.Bytes;
            }
        }
    }
}
