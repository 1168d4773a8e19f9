using Search.Ranking.Answers;

namespace Search.Evaluation.Spans;

/// <summary>Where each ingested meeting's segments sit among its turns: a segment, or the answer inside it, as the turns it covers.</summary>
public sealed class TranscriptTurns
{
    private readonly Dictionary<string, (int[] BlockStarts, List<int> BlockTurns)> _meetings = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, int), (int StartChar, bool Verbatim, int First, int Last)> _segments = [];

    /// <summary>Records a meeting: where each of its text blocks starts, and the turn each block is.</summary>
    internal void AddMeeting(string id, int[] blockStarts, List<int> blockTurns) => _meetings[id] = (blockStarts, blockTurns);

    /// <summary>Records a segment of a recorded meeting by its character range in the meeting's text; <paramref name="verbatim"/>: its text is the meeting's text there.</summary>
    internal void AddSegment(string id, int ordinal, int startChar, int endChar, bool verbatim)
    {
        var (starts, turns) = _meetings[id];
        _segments[(id, ordinal)] = (startChar, verbatim, turns[BlockAt(starts, startChar)], turns[BlockAt(starts, Math.Max(startChar, endChar - 1))]);
    }

    /// <summary>The turns a segment covers.</summary>
    public bool TryGetSegment(string id, int ordinal, out (int First, int Last) turns)
    {
        bool found = _segments.TryGetValue((id, ordinal), out var s);
        turns = (s.First, s.Last);
        return found;
    }

    /// <summary>
    /// The turns an answer inside a segment covers (its offsets are in the segment's text, which starts at the segment's
    /// first character); the segment's turns when its text is not the meeting's verbatim.
    /// </summary>
    public (int First, int Last) Answer(string id, int ordinal, AnswerSpan answer)
    {
        var s = _segments[(id, ordinal)];
        if (!s.Verbatim) return (s.First, s.Last);
        var (starts, turns) = _meetings[id];
        return (turns[BlockAt(starts, s.StartChar + answer.Start)], turns[BlockAt(starts, s.StartChar + Math.Max(answer.Start, answer.End - 1))]);
    }

    private static int BlockAt(int[] blockStarts, int offset)
    {
        int i = Array.BinarySearch(blockStarts, offset);
        return i >= 0 ? i : Math.Max(0, ~i - 1);
    }
}
