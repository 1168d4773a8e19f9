using System.Text.Json;
using System.Text.Json.Serialization;
using Search.Segmentation.Analysis;

namespace Search.Ranking.Reranking;

/// <summary>The stored form of a learned linear ranker: its features, their standardisation, weights, depth and what it was trained on.</summary>
public sealed record LinearRankerModel(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("depth")] int Depth,
    [property: JsonPropertyName("features")] IReadOnlyList<string> Features,
    [property: JsonPropertyName("mean")] IReadOnlyList<double> Mean,
    [property: JsonPropertyName("scale")] IReadOnlyList<double> Scale,
    [property: JsonPropertyName("weights")] IReadOnlyList<double> Weights,
    [property: JsonPropertyName("trained_on")] IReadOnlyList<string> TrainedOn,
    [property: JsonPropertyName("queries")] int Queries,
    [property: JsonPropertyName("pairs")] long Pairs)
{
    /// <summary>The kind this class reads.</summary>
    public const string LinearKind = "linear-pairwise";

    /// <summary>
    /// How many training standard deviations a feature may move the score. A feature that barely varies where the model
    /// learned (how many candidates share a document, in collections of one-passage documents) can sit hundreds of
    /// deviations out in another collection (meeting transcripts of many segments each) and would decide every ranking alone.
    /// </summary>
    public const double StandardLimit = 5;

    /// <summary>A feature's value in training standard deviations from the training mean, within ±<see cref="StandardLimit"/>.</summary>
    public static double Standardise(double value, double mean, double scale) => Math.Clamp((value - mean) / scale, -StandardLimit, StandardLimit);
}

/// <summary>
/// The default ranker: a linear function of <see cref="RankerFeatures"/> learned from judged queries by
/// <see cref="RankerTrainer"/> (pairwise logistic loss). Its features cost microseconds per candidate, except the
/// packaged encoders' evidence (<see cref="EncoderEvidence"/>), an encoder pass per passage not yet cached.
/// </summary>
public sealed class LinearRanker : IRanker
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly Analyzer _analyzer;
    private readonly EncoderEvidence? _evidence;

    /// <summary>The model it scores with.</summary>
    public LinearRankerModel Model { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int Depth => Model.Depth;

    /// <summary>
    /// Wraps a model, checking that it names exactly the features this build computes, in order; a model that weighs
    /// the encoders' evidence needs <paramref name="evidence"/>.
    /// </summary>
    public LinearRanker(LinearRankerModel model, string name, EncoderEvidence? evidence = null, Analyzer? analyzer = null)
    {
        if (model.Kind != LinearRankerModel.LinearKind) throw new FormatException($"a ranker of kind '{model.Kind}' is not a {LinearRankerModel.LinearKind} model");
        int n = RankerFeatures.Names.Count;
        if (model.Features is null || !model.Features.SequenceEqual(RankerFeatures.Names))
            throw new FormatException($"the ranker's features ({string.Join(", ", model.Features ?? [])}) are not this build's ({string.Join(", ", RankerFeatures.Names)}); train it again");
        if (model.Mean?.Count != n || model.Scale?.Count != n || model.Weights?.Count != n) throw new FormatException($"a ranker needs {n} means, scales and weights");
        foreach (var list in new[] { model.Mean, model.Scale, model.Weights })
            foreach (double v in list)
                if (!double.IsFinite(v)) throw new FormatException("a ranker's numbers must be finite");
        foreach (double s in model.Scale)
            if (s <= 0) throw new FormatException("a ranker's scales must be positive");
        if (model.Depth is < 2 or > 1000) throw new FormatException("a ranker's depth must be between 2 and 1000");
        if (evidence is null)
            for (int f = n - EncoderEvidence.FeatureNames.Count; f < n; f++)
                if (model.Weights[f] != 0) throw new ArgumentException($"the ranker weighs {model.Features[f]}, which needs the packaged encoders");
        Model = model;
        Name = name;
        _evidence = evidence;
        _analyzer = analyzer ?? Analyzer.English;
    }

    /// <summary>Reads a model file written by <see cref="Save"/>.</summary>
    public static LinearRanker Load(string path, EncoderEvidence? evidence = null)
    {
        LinearRankerModel? model;
        try
        {
            using var stream = File.OpenRead(path);
            model = JsonSerializer.Deserialize<LinearRankerModel>(stream);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not a ranker model ({e.Message})", e);
        }
        return new LinearRanker(model ?? throw new FormatException($"{path}: empty ranker model"), "linear:" + Path.GetFileNameWithoutExtension(path), evidence);
    }

    /// <summary>The name of the shipped model's resource (<c>Reranking/default-ranker.json</c>, written by <c>ranker train</c> on every development set).</summary>
    public const string DefaultResource = "Search.Ranking.default-ranker.json";

    /// <summary>The shipped model: trained on every development set (its <see cref="LinearRankerModel.TrainedOn"/> names them).</summary>
    public static LinearRanker LoadDefault(EncoderEvidence evidence)
    {
        using var stream = typeof(LinearRanker).Assembly.GetManifestResourceStream(DefaultResource)
            ?? throw new InvalidOperationException($"the build lacks the shipped ranker {DefaultResource}");
        var model = JsonSerializer.Deserialize<LinearRankerModel>(stream) ?? throw new FormatException("the shipped ranker is empty");
        return new LinearRanker(model, "linear:default", evidence);
    }

    /// <summary>Writes the model as indented JSON.</summary>
    public static void Save(LinearRankerModel model, string path) => File.WriteAllText(path, JsonSerializer.Serialize(model, Json) + "\n");

    /// <inheritdoc />
    public async ValueTask<double[]> ScoreAsync(RankerQuery query, IReadOnlyList<RankerCandidate> candidates, CancellationToken ct)
    {
        // The encoder passes run off the caller's thread, so a query's time limit can give up on them.
        double[][]? evidence = _evidence is { } e ? await Task.Run(() => e.Compute(query, candidates, ct), ct) : null;
        var rows = RankerFeatures.Compute(query, candidates, _analyzer, evidence);
        var scores = new double[rows.Length];
        for (int i = 0; i < rows.Length; i++) scores[i] = Score(Model, rows[i]);
        return scores;
    }

    /// <inheritdoc />
    public ValueTask PrepareAsync(CancellationToken ct)
    {
        _evidence?.Prepare();
        return ValueTask.CompletedTask;
    }

    /// <summary>The model's score of one feature vector.</summary>
    public static double Score(LinearRankerModel model, ReadOnlySpan<double> features)
    {
        double s = 0;
        for (int f = 0; f < features.Length; f++) s += model.Weights[f] * LinearRankerModel.Standardise(features[f], model.Mean[f], model.Scale[f]);
        return s;
    }
}
