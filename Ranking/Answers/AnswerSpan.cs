namespace Search.Ranking.Answers;

/// <summary>The stretch of a hit's text that answers the query: character offsets into the hit's text, end exclusive.</summary>
public sealed record AnswerSpan(int Start, int End);
