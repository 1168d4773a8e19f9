namespace Search.Cli;

/// <summary>Bad command-line usage: printed with the usage hint, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Parsed command-line arguments: positional values and --name value options (flags have no value).</summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Positional arguments after the verb.</summary>
    public List<string> Positional { get; } = [];

    /// <summary>Parses <paramref name="args"/>; <paramref name="flags"/> are the options that take no value.</summary>
    public static CliArguments Parse(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var result = new CliArguments();
        using var e = args.GetEnumerator();
        bool onlyPositional = false;
        while (e.MoveNext())
        {
            string a = e.Current;
            if (onlyPositional || !a.StartsWith("--", StringComparison.Ordinal) || a == "-")
            {
                result.Positional.Add(a);
                continue;
            }
            if (a == "--")
            {
                onlyPositional = true;
                continue;
            }
            string name = a[2..], value;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (flags.Contains(name)) value = "true";
            else if (e.MoveNext()) value = e.Current;
            else throw new UsageException($"--{name} needs a value");
            if (!result._options.TryGetValue(name, out var list)) result._options[name] = list = [];
            list.Add(value);
        }
        return result;
    }

    /// <summary>The last value of an option, or null.</summary>
    public string? Get(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v[^1] : null;
    }

    /// <summary>Every value of a repeatable option.</summary>
    public IReadOnlyList<string> GetAll(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v : [];
    }

    /// <summary>A required option.</summary>
    public string Require(string name) => Get(name) ?? throw new UsageException($"--{name} is required");

    /// <summary>True when a flag was given.</summary>
    public bool Flag(string name) => Get(name) is "true" or "1" or "yes";

    /// <summary>An integer option within bounds.</summary>
    public int GetInt(string name, int fallback, int min, int max)
    {
        string? v = Get(name);
        if (v is null) return fallback;
        if (!int.TryParse(v, out int n) || n < min || n > max) throw new UsageException($"--{name} must be a whole number from {min} to {max}");
        return n;
    }

    /// <summary>One of a fixed set of option values (the first when the option is absent), as the value it names.</summary>
    public T GetChoice<T>(string name, params (string Value, T Result)[] choices)
    {
        string v = Get(name) ?? choices[0].Value;
        foreach (var (value, result) in choices)
            if (value == v) return result;
        string names = choices.Length == 1 ? choices[0].Value
            : string.Join(", ", choices[..^1].Select(c => c.Value)) + " or " + choices[^1].Value;
        throw new UsageException($"--{name} must be {names}, not '{v}'");
    }

    /// <summary>Throws for options that no part of the command read (a typo would otherwise be ignored).</summary>
    public void RejectUnknown()
    {
        foreach (var name in _options.Keys)
            if (!_used.Contains(name)) throw new UsageException($"unknown option --{name}");
    }
}
