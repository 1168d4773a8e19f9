namespace Search.Indexing.Dense;

/// <summary>The dense side of a collection as the admin console shows it.</summary>
/// <param name="Learned">Whether an embedder has been learned (or loaded) yet.</param>
/// <param name="Segments">Segments with vectors.</param>
/// <param name="LearnedSegments">Segments the embedder was learned from.</param>
/// <param name="EmbeddedSinceLearning">Segments added or changed since, embedded with the learned model.</param>
/// <param name="RelearnAfter">Share of <paramref name="LearnedSegments"/> that, once embedded since learning, starts a background relearning.</param>
/// <param name="Relearning">Whether the dense stage is learning a new embedder now (the current one keeps serving).</param>
/// <param name="VectorIndex">"exact" or the FAISS index_factory string searched.</param>
/// <param name="Dimension">Embedding dimensions.</param>
/// <param name="Sequence">The change sequence number the vectors reflect.</param>
/// <param name="LoadedFromDisk">Whether the vectors were read back after a restart rather than learned in this process.</param>
/// <param name="TrainingSeconds">How long learning and embedding took (0 when loaded).</param>
/// <param name="Embedder">"corpus" (learned from the collection, relearned as it changes) or "model:" and the model's id (named while the first build runs too).</param>
/// <param name="WordClasses">Word classes of the statistics the collection last published, which ingestion segments new documents with (0 before any).</param>
/// <param name="Runtime">What runs the embedder (e.g. "onnxruntime-int8-cpu"; "-cuda" when ONNX Runtime found a GPU at start); null before it is built.</param>
/// <param name="Embedding">Segments the running build or batch has embedded so far, not yet searchable.</param>
public sealed record DenseStatus(bool Learned, int Segments, int LearnedSegments, int EmbeddedSinceLearning, double RelearnAfter, bool Relearning,
    string? VectorIndex, int Dimension, long Sequence, bool LoadedFromDisk, double TrainingSeconds, string? Embedder, int WordClasses, string? Runtime = null, long Embedding = 0);
