using Search.Core.Checksums;
using Search.Indexing.Lexical.Codec;

namespace Search.Indexing.Tests;

/// <summary>Round trips of the postings codec on random data (seeded, so failures reproduce).</summary>
public unsafe class LexicalCodecTests
{
    [Fact]
    public void Bit_packing_round_trips_every_width_and_length()
    {
        var rng = new Random(17);
        var buffer = new byte[128 * 4 + 8];
        var decoded = new int[128];
        for (int bits = 0; bits <= 32; bits++)
        {
            for (int trial = 0; trial < 40; trial++)
            {
                int n = rng.Next(0, 129);
                var values = new int[n];
                for (int i = 0; i < n; i++)
                    values[i] = bits == 0 ? 0 : bits == 32 ? rng.Next(int.MinValue, int.MaxValue) : (int)(rng.NextInt64(0, 1L << bits));
                int width = BitPacking.BitsRequired(values);
                Assert.True(width <= bits);
                Array.Clear(buffer);
                int written = BitPacking.Pack(values, width, buffer);
                Assert.Equal(BitPacking.PackedBytes(n, width), written);
                fixed (byte* p = buffer)
                    Assert.Equal(written, BitPacking.Unpack(p, width, decoded.AsSpan(0, n)));
                Assert.Equal(values, decoded.AsSpan(0, n).ToArray());
            }
        }
    }

    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        var rng = new Random(3);
        var data = new byte[1000];
        rng.NextBytes(data);
        Assert.Equal(Crc32C.Compute(data), Crc32C.Append(Crc32C.Compute(data.AsSpan(0, 333)), data.AsSpan(333)));
    }

    [Fact]
    public void Postings_lists_round_trip_through_a_segment_with_skips()
    {
        var rng = new Random(29);
        for (int trial = 0; trial < 12; trial++)
        {
            int docs = rng.Next(1, 3000);
            int terms = rng.Next(1, 40);
            var expected = new Dictionary<(int Term, int Field), SortedDictionary<int, int>>();
            var builder = new SegmentBuilder();
            var lengths = new int[3, docs];
            for (int d = 0; d < docs; d++)
            {
                builder.BeginDocument(1000 + d / 3, d % 3);
                for (int f = 0; f < 3; f++)
                {
                    int occurrences = f == 2 ? rng.Next(0, 30) : rng.Next(0, 3);
                    for (int o = 0; o < occurrences; o++)
                    {
                        // Skewed term choice: a few long lists (many blocks) and many short ones.
                        int t = (int)(Math.Pow(rng.NextDouble(), 3) * terms);
                        builder.AddTerm(f, "term" + t + (t % 5 == 0 ? "é" : ""));
                        var list = expected.TryGetValue((t, f), out var l) ? l : expected[(t, f)] = new SortedDictionary<int, int>();
                        list[d] = list.GetValueOrDefault(d) + 1;
                        lengths[f, d]++;
                    }
                }
                builder.EndDocument();
            }
            using var reader = SegmentReader.FromArray("test", builder.ToArray());
            Assert.Equal(docs, reader.DocumentCount);
            for (int d = 0; d < docs; d += 7)
            {
                Assert.Equal((1000L + d / 3, d % 3), (reader.DocumentId(d), reader.Ordinal(d)));
                for (int f = 0; f < 3; f++) Assert.Equal(lengths[f, d], reader.Length(f, d));
            }
            Assert.Equal(-1, reader.FindTerm("absent"u8));
            var cursor = new PostingCursor();
            foreach (var ((t, f), list) in expected)
            {
                string term = "term" + t + (t % 5 == 0 ? "é" : "");
                int rank = reader.FindTerm(System.Text.Encoding.UTF8.GetBytes(term));
                Assert.True(rank >= 0, term);
                Assert.Equal(term, reader.Term(rank));
                Assert.True(reader.OpenPostings(rank, f, cursor));
                Assert.Equal(list.Count, cursor.Count);
                var actual = new List<(int, int)>();
                for (int d = cursor.Next(); d != PostingCursor.NoMoreDocs; d = cursor.Next()) actual.Add((d, cursor.Frequency));
                Assert.Equal(list.Select(kv => (kv.Key, kv.Value)), actual);
                // Random skips land on the first document at or after the target.
                reader.OpenPostings(rank, f, cursor);
                var keys = list.Keys.ToArray();
                int target = 0;
                while (true)
                {
                    target += rng.Next(1, 200);
                    int got = cursor.Advance(target);
                    int want = Array.Find(keys, k => k >= target);
                    if (!keys.Any(k => k >= target))
                    {
                        Assert.Equal(PostingCursor.NoMoreDocs, got);
                        break;
                    }
                    Assert.Equal(want, got);
                    Assert.Equal(list[want], cursor.Frequency);
                    target = got;
                }
                // Block maxima bound every document in their block.
                reader.OpenPostings(rank, f, cursor);
                for (int d = cursor.Next(); d != PostingCursor.NoMoreDocs; d = cursor.Next())
                {
                    int block = cursor.BlockFor(d);
                    Assert.True(cursor.Frequency <= cursor.BlockMaxFrequency(block));
                    Assert.True(cursor.FieldLength >= cursor.BlockMinLength(block));
                    // The dominating impacts bound BM25's saturation for any length normalisation.
                    foreach (var (c, p) in new[] { (1.2 * 0.25, 1.2 * 0.75 / 9.5), (0.9 * 0.6, 0.9 * 0.4 / 3.0), (2.0, 0.0) })
                    {
                        double saturation = cursor.Frequency / (cursor.Frequency + c + p * cursor.FieldLength);
                        Assert.True(cursor.MaxSaturation(block, c, p) >= saturation);
                    }
                }
            }
        }
    }
}
