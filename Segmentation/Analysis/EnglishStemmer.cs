using System.Buffers;

namespace Search.Segmentation.Analysis;

/// <summary>Porter2 (Snowball English) stemmer, written from the published algorithm.</summary>
/// <remarks>
/// Follows the current description at snowballstem.org (Snowball 3.x revision of Porter2), including:
/// the exceptional whole-word forms (skies, idly, news, ...), the <c>-eed</c> exceptions
/// (proceed/exceed/succeed), the <c>-ing</c> exceptions (dying, inning, herring, evening, ...),
/// the apostrophe handling, y/Y marking, and the R1 prefixes (gener, commun, arsen, past,
/// univers, later, emerg, organ).
/// The word is processed in place in a stack (or pooled) buffer; the only allocation is the
/// returned string, and none at all when the stem equals the input.
/// </remarks>
public static class EnglishStemmer
{
    private const int StackBufferSize = 128;

    private enum Condition
    {
        None,
        PrecededByL,
        ValidLiEnding,
        InR2,
        PrecededBySOrT,
    }

    private readonly record struct Rule(string Suffix, string Replacement, Condition Condition = Condition.None);

    // Each table is ordered by descending suffix length, so the first match is the longest match.
    private static readonly Rule[] Step2Rules =
    [
        new("ization", "ize"),
        new("ational", "ate"),
        new("fulness", "ful"),
        new("ousness", "ous"),
        new("iveness", "ive"),
        new("tional", "tion"),
        new("biliti", "ble"),
        new("lessli", "less"),
        new("entli", "ent"),
        new("ation", "ate"),
        new("alism", "al"),
        new("aliti", "al"),
        new("ousli", "ous"),
        new("iviti", "ive"),
        new("fulli", "ful"),
        new("ogist", "og"),
        new("enci", "ence"),
        new("anci", "ance"),
        new("abli", "able"),
        new("izer", "ize"),
        new("ator", "ate"),
        new("alli", "al"),
        new("bli", "ble"),
        new("ogi", "og", Condition.PrecededByL),
        new("li", "", Condition.ValidLiEnding),
    ];

    private static readonly Rule[] Step3Rules =
    [
        new("ational", "ate"),
        new("tional", "tion"),
        new("alize", "al"),
        new("icate", "ic"),
        new("iciti", "ic"),
        new("ative", "", Condition.InR2),
        new("ical", "ic"),
        new("ness", ""),
        new("ful", ""),
    ];

    private static readonly Rule[] Step4Rules =
    [
        new("ement", ""),
        new("ance", ""),
        new("ence", ""),
        new("able", ""),
        new("ible", ""),
        new("ment", ""),
        new("ant", ""),
        new("ent", ""),
        new("ism", ""),
        new("ate", ""),
        new("iti", ""),
        new("ous", ""),
        new("ive", ""),
        new("ize", ""),
        new("ion", "", Condition.PrecededBySOrT),
        new("al", ""),
        new("er", ""),
        new("ic", ""),
    ];

    // Words starting with one of these get R1 = the rest of the word.
    private static readonly string[] RegionPrefixes =
        ["gener", "commun", "arsen", "past", "univers", "later", "emerg", "organ"];

    /// <summary>Returns the Porter2 stem of <paramref name="word"/>.</summary>
    /// <param name="word">A lower-case word (letters, digits and apostrophes are possible).</param>
    /// <returns>The stem; the input instance itself when stemming does not change it.</returns>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length <= 2)
        {
            return word;
        }

        string? special = SpecialForm(word);
        if (special is not null)
        {
            return special;
        }

        char[]? rented = null;
        Span<char> buffer = word.Length <= StackBufferSize
            ? stackalloc char[StackBufferSize]
            : (rented = ArrayPool<char>.Shared.Rent(word.Length));
        try
        {
            // The stem is never longer than the input, so the buffer never has to grow.
            ReadOnlySpan<char> source = word.AsSpan();
            if (source[0] == '\'')
            {
                source = source[1..];
            }

            source.CopyTo(buffer);
            var w = new WordBuffer(buffer, source.Length);
            w.Run();
            ReadOnlySpan<char> stem = w.Current;
            return stem.SequenceEqual(word) ? word : new string(stem);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static string? SpecialForm(string word) => word switch
    {
        "skis" => "ski",
        "skies" => "sky",
        "idly" => "idl",
        "gently" => "gentl",
        "ugly" => "ugli",
        "early" => "earli",
        "only" => "onli",
        "singly" => "singl",
        "sky" or "news" or "howe" or "atlas" or "cosmos" or "bias" or "andes" => word,
        _ => null,
    };

    private static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u' or 'y';

    private static bool IsDouble(char c) => c is 'b' or 'd' or 'f' or 'g' or 'm' or 'n' or 'p' or 'r' or 't';

    private static bool IsValidLiEnding(char c) =>
        c is 'c' or 'd' or 'e' or 'g' or 'h' or 'k' or 'm' or 'n' or 'r' or 't';

    /// <summary>The word being stemmed: a span holding the letters, its current length and the regions.</summary>
    private ref struct WordBuffer
    {
        private readonly Span<char> _chars;
        private int _length;
        private int _r1;
        private int _r2;
        private bool _hasMarkedY;

        public WordBuffer(Span<char> chars, int length)
        {
            _chars = chars;
            _length = length;
            _r1 = length;
            _r2 = length;
            _hasMarkedY = false;
        }

        public readonly ReadOnlySpan<char> Current => _chars[.._length];

        public void Run()
        {
            MarkY();
            MarkRegions();
            Step0();
            Step1a();
            Step1b();
            Step1c();
            ApplyRules(Step2Rules, _r1);
            ApplyRules(Step3Rules, _r1);
            ApplyRules(Step4Rules, _r2);
            Step5();
            if (_hasMarkedY)
            {
                _chars[.._length].Replace('Y', 'y');
            }
        }

        /// <summary>Initial y, and y after a vowel, become Y (treated as a consonant).</summary>
        private void MarkY()
        {
            if (_length == 0)
            {
                return;
            }

            if (_chars[0] == 'y')
            {
                _chars[0] = 'Y';
                _hasMarkedY = true;
            }

            for (int i = 1; i < _length; i++)
            {
                if (_chars[i] == 'y' && IsVowel(_chars[i - 1]))
                {
                    _chars[i] = 'Y';
                    _hasMarkedY = true;
                }
            }
        }

        private void MarkRegions()
        {
            ReadOnlySpan<char> word = _chars[.._length];
            int r1 = -1;
            foreach (string prefix in RegionPrefixes)
            {
                if (word.StartsWith(prefix))
                {
                    r1 = prefix.Length;
                    break;
                }
            }

            if (r1 < 0)
            {
                r1 = AfterVowelThenNonVowel(word, 0);
                if (r1 < 0)
                {
                    return; // R1 and R2 both stay empty
                }
            }

            _r1 = r1;
            int r2 = AfterVowelThenNonVowel(word, r1);
            _r2 = r2 < 0 ? _length : r2;
        }

        /// <summary>Position just after the first non-vowel that follows a vowel, searching from
        /// <paramref name="from"/>; -1 when there is none.</summary>
        private static int AfterVowelThenNonVowel(ReadOnlySpan<char> word, int from)
        {
            int i = from;
            while (i < word.Length && !IsVowel(word[i]))
            {
                i++;
            }

            while (i < word.Length && IsVowel(word[i]))
            {
                i++;
            }

            return i < word.Length ? i + 1 : -1;
        }

        private readonly bool EndsWith(string suffix) =>
            _length >= suffix.Length
            && _chars[_length - 1] == suffix[^1]
            && _chars[(_length - suffix.Length).._length].SequenceEqual(suffix);

        /// <summary>True when the first <paramref name="end"/> letters are exactly <paramref name="text"/>.</summary>
        private readonly bool PrefixIs(int end, string text) =>
            end == text.Length && _chars[..end].SequenceEqual(text);

        private readonly bool HasVowelBefore(int end)
        {
            for (int i = 0; i < end; i++)
            {
                if (IsVowel(_chars[i]))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Does the word part <c>[0, end)</c> end with a short syllable?</summary>
        private readonly bool EndsWithShortSyllable(int end)
        {
            if (end >= 3)
            {
                char last = _chars[end - 1];
                if (!IsVowel(last) && last is not ('w' or 'x' or 'Y')
                    && IsVowel(_chars[end - 2]) && !IsVowel(_chars[end - 3]))
                {
                    return true;
                }
            }
            else if (end == 2 && IsVowel(_chars[0]) && !IsVowel(_chars[1]))
            {
                return true;
            }

            return end >= 4 && _chars[(end - 4)..end].SequenceEqual("past");
        }

        private void Append(char c) => _chars[_length++] = c;

        /// <summary>Step 0: remove the longest of <c>'s'</c>, <c>'s</c>, <c>'</c>.</summary>
        private void Step0()
        {
            if (EndsWith("'s'"))
            {
                _length -= 3;
            }
            else if (EndsWith("'s"))
            {
                _length -= 2;
            }
            else if (EndsWith("'"))
            {
                _length -= 1;
            }
        }

        private void Step1a()
        {
            if (EndsWith("sses"))
            {
                _length -= 2; // sses -> ss
            }
            else if (EndsWith("ied") || EndsWith("ies"))
            {
                // -> i if preceded by more than one letter, otherwise -> ie (cries -> cri, ties -> tie)
                int start = _length - 3;
                _length = start;
                Append('i');
                if (start < 2)
                {
                    Append('e');
                }
            }
            else if (EndsWith("s") && !EndsWith("us") && !EndsWith("ss") && HasVowelBefore(_length - 2))
            {
                // delete s if the part before it has a vowel not immediately before the s
                // (gaps -> gap, kiwis -> kiwi, but gas, this, bus and kiss are left alone)
                _length -= 1;
            }
        }

        private void Step1b()
        {
            if (EndsWith("eedly"))
            {
                Eed(_length - 5);
            }
            else if (EndsWith("ingly"))
            {
                RemoveVerbalSuffix(_length - 5);
            }
            else if (EndsWith("edly"))
            {
                RemoveVerbalSuffix(_length - 4);
            }
            else if (EndsWith("eed"))
            {
                Eed(_length - 3);
            }
            else if (EndsWith("ing"))
            {
                int start = _length - 3;
                if (start == 2 && _chars[1] == 'y' && !IsVowel(_chars[0]))
                {
                    // dying -> die, lying -> lie, tying -> tie, vying -> vie
                    _chars[1] = 'i';
                    _chars[2] = 'e';
                    _length = 3;
                }
                else if (!(PrefixIs(start, "inn") || PrefixIs(start, "out") || PrefixIs(start, "cann")
                           || PrefixIs(start, "herr") || PrefixIs(start, "earr") || PrefixIs(start, "even")))
                {
                    RemoveVerbalSuffix(start);
                }
            }
            else if (EndsWith("ed"))
            {
                RemoveVerbalSuffix(_length - 2);
            }
        }

        /// <summary>eed / eedly -> ee when in R1, except for proceed, exceed and succeed.</summary>
        private void Eed(int start)
        {
            if (PrefixIs(start, "proc") || PrefixIs(start, "exc") || PrefixIs(start, "succ"))
            {
                return;
            }

            if (start >= _r1)
            {
                _length = start + 2; // the suffix already starts with "ee"
            }
        }

        /// <summary>ed / edly / ing / ingly: delete if the preceding part has a vowel, then tidy the end.</summary>
        private void RemoveVerbalSuffix(int start)
        {
            if (!HasVowelBefore(start))
            {
                return;
            }

            _length = start;
            if (EndsWith("at") || EndsWith("bl") || EndsWith("iz"))
            {
                Append('e'); // luxuriat -> luxuriate
            }
            else if (_length >= 2 && _chars[_length - 1] == _chars[_length - 2] && IsDouble(_chars[_length - 1]))
            {
                // hopp -> hop, but add, egg, off, ebb, err stay as they are
                if (!(_length == 3 && _chars[0] is 'a' or 'e' or 'o'))
                {
                    _length--;
                }
            }
            else if (_r1 >= _length && EndsWithShortSyllable(_length))
            {
                Append('e'); // short word: hop -> hope
            }
        }

        /// <summary>Final y/Y -> i when preceded by a non-vowel that is not the first letter.</summary>
        private void Step1c()
        {
            if (_length >= 3 && _chars[_length - 1] is 'y' or 'Y' && !IsVowel(_chars[_length - 2]))
            {
                _chars[_length - 1] = 'i';
            }
        }

        private void Step5()
        {
            if (_length == 0)
            {
                return;
            }

            int start = _length - 1;
            char last = _chars[start];
            if (last == 'e')
            {
                if (start >= _r2 || (start >= _r1 && !EndsWithShortSyllable(start)))
                {
                    _length = start;
                }
            }
            else if (last == 'l' && start >= _r2 && start >= 1 && _chars[start - 1] == 'l')
            {
                _length = start;
            }
        }

        /// <summary>Finds the longest rule suffix; applies it only if it starts inside the region and
        /// its condition holds (a shorter suffix is never tried instead).</summary>
        private void ApplyRules(Rule[] rules, int regionStart)
        {
            foreach (Rule rule in rules)
            {
                if (!EndsWith(rule.Suffix))
                {
                    continue;
                }

                int start = _length - rule.Suffix.Length;
                if (start < regionStart || !ConditionHolds(rule.Condition, start))
                {
                    return;
                }

                rule.Replacement.AsSpan().CopyTo(_chars[start..]);
                _length = start + rule.Replacement.Length;
                return;
            }
        }

        private readonly bool ConditionHolds(Condition condition, int start) => condition switch
        {
            Condition.None => true,
            Condition.PrecededByL => start >= 1 && _chars[start - 1] == 'l',
            Condition.ValidLiEnding => start >= 1 && IsValidLiEnding(_chars[start - 1]),
            Condition.InR2 => start >= _r2,
            Condition.PrecededBySOrT => start >= 1 && _chars[start - 1] is 's' or 't',
            _ => false,
        };
    }
}
