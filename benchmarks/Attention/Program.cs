using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Attention -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Search.Benchmarks.Attention.BlockRankBenchmarks).Assembly).Run(args);
