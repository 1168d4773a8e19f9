using Search.Evaluation.Rankers;
using Search.Ranking.Reranking;
using Search.TestSupport;

namespace Search.Evaluation.Tests;

/// <summary>
/// Gathered ranker candidates written for <c>ranker train --from</c>: they read back as written, a collection can be
/// left out (how the leave-one-collection-out folds train), and a file from a build with other features, or a broken
/// one, is refused with the line that is wrong.
/// </summary>
public sealed class RankerFeatureFileTests
{
    private static List<RankerTrainingQuery> Gathered()
    {
        var rng = new Random(3);
        int f = RankerFeatures.Names.Count;
        var queries = new List<RankerTrainingQuery>();
        foreach (var collection in new[] { "cranfield", "cisi", "qmsum_retrieval" })
            for (int q = 0; q < 4; q++)
            {
                var x = new double[5][];
                var y = new double[5];
                for (int i = 0; i < 5; i++)
                {
                    x[i] = [.. Enumerable.Range(0, f).Select(_ => rng.NextDouble() * 4 - 2)];
                    y[i] = rng.Next(3);
                }
                queries.Add(new RankerTrainingQuery(collection, $"{collection}-{q}", x, y, [.. Enumerable.Range(0, 5).Select(i => $"d{q}-{i}")]));
            }
        return queries;
    }

    [Fact]
    public void Gathered_queries_read_back_as_written_and_a_left_out_collection_is_not_read()
    {
        using var dir = new TempDirectory();
        var written = Gathered();
        string path = dir.File("features.jsonl");
        RankerTraining.WriteFeatures(written, path);
        var (all, sets) = RankerTraining.ReadFeatures(path, []);
        Assert.Equal(written.Count, all.Count);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal((written[i].Collection, written[i].QueryId), (all[i].Collection, all[i].QueryId));
            Assert.Equal(written[i].Labels, all[i].Labels);
            Assert.Equal(written[i].Documents, all[i].Documents);
            for (int r = 0; r < written[i].Features.Length; r++) Assert.Equal(written[i].Features[r], all[i].Features[r]);
        }
        Assert.Equal(["cranfield", "cisi", "qmsum_retrieval"], sets.Select(s => s.Name));
        // The model learned from the file is the one learned from the queries themselves.
        Assert.Equal(RankerTrainer.Train(written, 5).Weights, RankerTrainer.Train(all, 5).Weights);

        var (fold, foldSets) = RankerTraining.ReadFeatures(path, new HashSet<string> { "cisi", "qmsum_retrieval" });
        Assert.DoesNotContain(fold, q => q.Collection == "cranfield");
        Assert.Equal(8, fold.Count);
        Assert.Equal(["cisi", "qmsum_retrieval"], foldSets.Select(s => s.Name));
        Assert.Contains("'med'", Assert.Throws<FormatException>(() => RankerTraining.ReadFeatures(path, new HashSet<string> { "med" })).Message);
    }

    [Fact]
    public void A_file_with_other_features_or_a_broken_line_is_refused_with_its_line()
    {
        using var dir = new TempDirectory();
        string path = dir.File("features.jsonl");
        var one = Gathered().Take(2).ToList();
        one[1] = one[1] with { Features = [.. one[1].Features.Select(r => r[..^1])] };
        RankerTraining.WriteFeatures(one, path);
        var error = Assert.Throws<FormatException>(() => RankerTraining.ReadFeatures(path, []));
        Assert.Contains(":2:", error.Message);
        Assert.Contains("gather them again", error.Message);

        File.WriteAllText(path, "{\"collection\": \"cisi\", \"query\": \"q\"\n");
        Assert.Contains(":1:", Assert.Throws<FormatException>(() => RankerTraining.ReadFeatures(path, [])).Message);
        File.WriteAllText(path, "{\"collection\": \"cisi\", \"query\": \"q\", \"documents\": [\"a\"], \"labels\": [1, 0], \"features\": []}\n");
        Assert.Contains("2 labels, 1 documents", Assert.Throws<FormatException>(() => RankerTraining.ReadFeatures(path, [])).Message);
    }
}
