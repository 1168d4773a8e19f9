using System.Runtime.CompilerServices;

// Tests drive the native shim directly with calls the managed wrapper would refuse.
[assembly: InternalsVisibleTo("Search.Indexing.Tests")]
