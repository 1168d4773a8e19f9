namespace Search.Indexing.Extraction;

/// <summary>Tracks the current section path as headings of various levels are met.</summary>
internal sealed class SectionStack
{
    private readonly List<(int Level, string Title)> _stack = [];

    /// <summary>Enters a heading: pops headings of the same or a deeper level, then pushes it.</summary>
    public void Enter(int level, string title)
    {
        while (_stack.Count > 0 && _stack[^1].Level >= level) _stack.RemoveAt(_stack.Count - 1);
        _stack.Add((level, title));
    }

    /// <summary>The current path, outermost first.</summary>
    public string[] Path
    {
        get
        {
            var p = new string[_stack.Count];
            for (int i = 0; i < p.Length; i++) p[i] = _stack[i].Title;
            return p;
        }
    }
}
