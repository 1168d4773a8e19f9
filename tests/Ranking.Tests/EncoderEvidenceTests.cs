using Search.Indexing.Embeddings;
using Search.Ranking.Reranking;

namespace Search.Ranking.Tests;

/// <summary>
/// The packaged encoders' evidence for the learned ranker, on the real weights: the passage that answers is preferred
/// by each signal, stop words count for nothing in the late-interaction match, the cache changes nothing but the work,
/// and a model that weighs the evidence is refused without it.
/// </summary>
public sealed class EncoderEvidenceTests : IDisposable
{
    private readonly EmbedderRegistry _embedders = EmbedderRegistry.Create(new EmbedderSettings());

    private const string Query = "how does the boundary layer separate from a flat plate?";

    // The query's analysed terms with made-up but plausible idf values (the ranker reads BM25's).
    private static readonly RankerQuery Judged = new(Query, new Dictionary<string, double> { ["boundari"] = 2.1, ["layer"] = 1.8, ["separ"] = 2.6, ["flat"] = 1.5, ["plate"] = 2.0 });

    private static readonly string[] Passages =
    [
        "Boundary layer separation on a flat plate occurs when an adverse pressure gradient slows the flow near the wall until it reverses.",
        "The library catalogue lists each book by author, title and subject heading, and the reference desk answers questions about loans.",
        "Transition of the laminar boundary layer to turbulence on a plate depends on the Reynolds number and the free-stream disturbances.",
        "Serve the soup on a flat plate, separate the herbs from the stock, and layer the bread on the side.",
        "Turbulent boundary layers resist separation longer than laminar ones because they carry more momentum close to the surface.",
        "Wind tunnel measurements of skin friction on a flat plate agree with the Blasius solution for the laminar boundary layer.",
        "Children's books are shelved by reading level, and the catalogue marks those with large print.",
    ];

    // The passages on boundary layers have hybrid score 1, the others 0.
    private static List<RankerCandidate> Candidates(IReadOnlyList<string> texts) =>
        [.. texts.Select((t, i) => new RankerCandidate(i, 0, t.Contains("boundary layer", StringComparison.OrdinalIgnoreCase) ? 1 : 0, i + 1, double.NaN, 0, double.NaN, double.NaN, double.NaN, double.NaN, 0, t, "", "", null, []))];

    private static double[] Row(double[][] evidence, string feature) => evidence[EncoderEvidence.FeatureNames.ToList().IndexOf(feature)];

    [Theory]
    [InlineData("minilm")]
    [InlineData("arctic")]
    public void Each_signal_prefers_the_passage_that_answers_over_one_on_another_subject(string encoder)
    {
        var evidence = EncoderEvidence.FromPackaged(_embedders, 64 << 20).Compute(Judged, Candidates(Passages));
        Assert.Equal(EncoderEvidence.FeatureNames.Count, evidence.Length);
        foreach (string signal in new[] { "cosine", "maxsim", "sentence" })
        {
            var row = Row(evidence, $"{encoder}_{signal}_z");
            Assert.True(row[0] > row[1], $"{encoder} {signal}: the answer {row[0]:F4} is not above the library passage {row[1]:F4}");
            Assert.True(row[0] > row[6], $"{encoder} {signal}: the answer {row[0]:F4} is not above the children's books {row[6]:F4}");
        }
        // The top candidates are about boundary layers: a later one on that subject is nearer their mean than the library.
        var feedback = Row(evidence, $"{encoder}_feedback_z");
        Assert.True(feedback[5] > feedback[6], $"{encoder} feedback: {feedback[5]:F4} for the Blasius passage is not above {feedback[6]:F4} for the shelving one");
        // The Blasius passage's nearest candidates are the other boundary-layer ones (hybrid 1); the shelving passage's
        // include the library one (hybrid 0).
        var neighbours = Row(evidence, $"{encoder}_neighbours_z");
        Assert.Equal(1, neighbours[5], 1e-12);
        Assert.True(neighbours[6] < 1, $"{encoder} neighbours: {neighbours[6]:F4} for the shelving passage");
    }

    [Fact]
    public void A_passage_that_answers_in_one_sentence_is_matched_by_that_sentence()
    {
        // The answer is one sentence among unrelated ones: the whole passage's vector is diluted, its best sentence's is not.
        string diluted = "The committee approved the budget for the new reading room. Boundary layer separation on a flat plate follows an adverse pressure gradient. "
            + "Opening hours will be extended on weekends, and volunteers will staff the front desk. Donations of books are welcome.";
        var evidence = EncoderEvidence.FromPackaged(_embedders, 64 << 20).Compute(Judged, Candidates([diluted]));
        foreach (string encoder in new[] { "minilm", "arctic" })
            Assert.True(Row(evidence, $"{encoder}_sentence_z")[0] > Row(evidence, $"{encoder}_cosine_z")[0] + 0.05,
                $"{encoder}: best sentence {Row(evidence, $"{encoder}_sentence_z")[0]:F4}, whole passage {Row(evidence, $"{encoder}_cosine_z")[0]:F4}");
    }

    [Fact]
    public void The_late_interaction_match_weighs_query_words_by_idf_so_stop_words_count_for_nothing()
    {
        var source = EncoderEvidence.FromPackaged(_embedders, 64 << 20);
        var stopWordsOnly = source.Compute(new RankerQuery("how does the from a", new Dictionary<string, double>()), Candidates(Passages));
        foreach (string encoder in new[] { "minilm", "arctic" })
            Assert.All(Row(stopWordsOnly, $"{encoder}_maxsim_z"), v => Assert.Equal(0, v));
        // With "separ" the only weighed word, the match is that word's: the cooking passage, which says "separate", is
        // above the library passage, which has no word like it.
        var separateOnly = source.Compute(new RankerQuery(Query, new Dictionary<string, double> { ["separ"] = 1 }), Candidates(Passages));
        var row = Row(separateOnly, "minilm_maxsim_z");
        Assert.True(row[3] > row[1], $"{row[3]:F4} for the passage that says 'separate' is not above {row[1]:F4}");
    }

    [Fact]
    public void Cached_passage_states_give_the_same_evidence_and_a_budget_below_one_passage_still_answers()
    {
        var cached = EncoderEvidence.FromPackaged(_embedders, 64 << 20);
        var uncached = EncoderEvidence.FromPackaged(_embedders, 1);
        var candidates = Candidates(Passages);
        var cold = cached.Compute(Judged, candidates);
        long held = cached.CachedBytes;
        Assert.True(held > 0);
        var warm = cached.Compute(Judged, candidates);
        Assert.Equal(held, cached.CachedBytes);
        var never = uncached.Compute(Judged, candidates);
        Assert.Equal(0, uncached.CachedBytes);
        for (int f = 0; f < cold.Length; f++)
        {
            Assert.Equal(cold[f], warm[f]);
            Assert.Equal(cold[f], never[f]);
        }
        // A budget for about two passages evicts the oldest and keeps answering the same.
        var small = EncoderEvidence.FromPackaged(_embedders, held / Passages.Length * 2);
        var bounded = small.Compute(Judged, candidates);
        Assert.InRange(small.CachedBytes, 1, held / Passages.Length * 2);
        for (int f = 0; f < cold.Length; f++) Assert.Equal(cold[f], bounded[f]);
    }

    [Fact]
    public void A_model_that_weighs_the_evidence_is_refused_without_the_encoders_and_scores_with_them()
    {
        int n = RankerFeatures.Names.Count;
        var weights = new double[n];
        weights[RankerFeatures.Names.ToList().IndexOf("arctic_maxsim_z")] = 1;
        var model = new LinearRankerModel(LinearRankerModel.LinearKind, 30, RankerFeatures.Names, new double[n], Enumerable.Repeat(1.0, n).ToArray(), weights, ["test"], 1, 1);
        Assert.Contains("packaged encoders", Assert.Throws<ArgumentException>(() => new LinearRanker(model, "test")).Message);
        var ranker = new LinearRanker(model, "test", EncoderEvidence.FromPackaged(_embedders, 64 << 20));
        var scores = ranker.ScoreAsync(Judged, Candidates(Passages), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Assert.True(scores[0] > scores[1] && scores[0] > scores[6]);
    }

    public void Dispose() => _embedders.Dispose();
}
