return await Search.Cli.Verbs.RunAsync(args);
