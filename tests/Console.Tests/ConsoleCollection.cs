namespace Search.Console.Tests;

/// <summary>Every console test class shares one service and one browser, and runs one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
