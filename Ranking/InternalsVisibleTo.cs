using System.Runtime.CompilerServices;

// Tests wait for the dense index's background relearning, which the service never needs to.
[assembly: InternalsVisibleTo("Search.Ranking.Tests")]
