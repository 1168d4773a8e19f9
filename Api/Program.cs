return await Search.Api.Cli.Commands.RunAsync(args);
