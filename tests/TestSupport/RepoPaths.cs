namespace Search.TestSupport;

/// <summary>Locates the repository and the shared evaluation data beside it.</summary>
public static class RepoPaths
{
    /// <summary>The folder that holds Search.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The shared folder beside the repository (evaluation data and scorers).</summary>
    public static string Shared
    {
        get
        {
            string shared = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            if (!Directory.Exists(Path.Combine(shared, "data")))
                throw new InvalidOperationException($"the shared evaluation data is missing: expected {shared}/data beside the repository");
            return shared;
        }
    }

    /// <summary>The sample corpus shipped in the repository.</summary>
    public static string SampleCorpus => Path.Combine(Root, "samples", "corpus");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Search.sln"))) return dir.FullName;
        throw new InvalidOperationException("Search.sln not found above " + AppContext.BaseDirectory);
    }
}
