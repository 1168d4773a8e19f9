namespace Search.Indexing.Embeddings;

/// <summary>
/// Vectors for words the collection never saw: each character 4-gram (with word-boundary marks) gets
/// the mean vector of the known terms that contain it, and an unseen word the mean over its 4-grams,
/// as fastText composes sub-word units.
/// </summary>
internal sealed class SubwordVectors
{
    private const int N = 4;
    private readonly Dictionary<string, (int Start, int Terms)> _grams = new(StringComparer.Ordinal);
    private readonly float[] _vectors;
    private readonly int _dimension;

    public SubwordVectors(Dictionary<string, int> terms, float[] termVectors, int dimension)
    {
        _dimension = dimension;
        var sums = new Dictionary<string, (float[] Sum, int Count)>(StringComparer.Ordinal);
        foreach (var (term, id) in terms)
            foreach (var gram in Grams(term))
            {
                if (!sums.TryGetValue(gram, out var entry)) entry = (new float[dimension], 0);
                System.Numerics.Tensors.TensorPrimitives.Add(entry.Sum, termVectors.AsSpan(id * dimension, dimension), entry.Sum);
                sums[gram] = (entry.Sum, entry.Count + 1);
            }
        _vectors = new float[sums.Count * dimension];
        int row = 0;
        foreach (var (gram, (sum, count)) in sums)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(sum, count, _vectors.AsSpan(row * dimension, dimension));
            _grams[gram] = (row * dimension, count);
            row++;
        }
    }

    /// <summary>
    /// Estimates an unseen word's vector into <paramref name="vector"/>; its weight is that of a rare term
    /// (log of the number of grams found, at least 1), since an unseen word is by definition specific.
    /// </summary>
    public bool TryEstimate(string word, Span<float> vector, out float weight)
    {
        vector.Clear();
        int found = 0;
        foreach (var gram in Grams(word))
            if (_grams.TryGetValue(gram, out var g))
            {
                System.Numerics.Tensors.TensorPrimitives.Add(vector, _vectors.AsSpan(g.Start, _dimension), vector);
                found++;
            }
        weight = found == 0 ? 0 : 1 + MathF.Log(found);
        if (found == 0) return false;
        System.Numerics.Tensors.TensorPrimitives.Divide(vector, found, vector);
        return true;
    }

    private static IEnumerable<string> Grams(string word)
    {
        string marked = "<" + word + ">";
        if (marked.Length <= N)
        {
            yield return marked;
            yield break;
        }
        for (int i = 0; i + N <= marked.Length; i++) yield return marked.Substring(i, N);
    }
}
