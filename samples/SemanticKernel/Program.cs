using Search.SemanticKernel.Sample;

return await SampleProgram.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable("SEARCH_API_KEY"));
