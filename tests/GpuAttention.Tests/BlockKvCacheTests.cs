using Search.GpuAttention.Caching;

namespace Search.GpuAttention.Tests;

public sealed class BlockKvCacheTests
{
    private static BlockKvCache Sample()
    {
        var random = new Random(1);
        var cache = new BlockKvCache();
        cache.Put("instruction", 0, KvTensor.FromSingle(Tensors.Random(random, 2 * 5 * 8), 2, 5, 8), KvTensor.FromSingle(Tensors.Random(random, 2 * 5 * 8), 2, 5, 8), 0);
        cache.Put("doc-1", 0, KvTensor.FromSingle(Tensors.Random(random, 2 * 7 * 8), 2, 7, 8, KvPrecision.Float16), KvTensor.FromSingle(Tensors.Random(random, 2 * 7 * 8), 2, 7, 8, KvPrecision.Float16), 5);
        cache.Put("doc-1", 1, KvTensor.FromSingle(Tensors.Random(random, 2 * 7 * 8), 2, 7, 8, KvPrecision.BFloat16), KvTensor.FromSingle(Tensors.Random(random, 2 * 7 * 8), 2, 7, 8, KvPrecision.BFloat16), 5);
        cache.Put("empty", 0, KvTensor.Create(2, 0, 8), KvTensor.Create(2, 0, 8), 12);
        cache.Put("doc-2", 0, KvTensor.FromSingle(Tensors.Random(random, 2 * 6 * 8), 2, 6, 8, KvPrecision.Int8), KvTensor.FromSingle(Tensors.Random(random, 2 * 6 * 8), 2, 6, 8, KvPrecision.Int8), 3);
        return cache;
    }

    private static byte[] Serialized(BlockKvCache cache)
    {
        using var stream = new MemoryStream();
        cache.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Memory_accounting_counts_key_and_value_bytes()
    {
        var cache = Sample();
        Assert.Equal(5, cache.Count);
        int int8 = 2 * (2 * 6 * 8 + 4 * 2 * 6); // a byte per element and a scale per row
        Assert.Equal(2 * (2 * 5 * 8 * 4) + 2 * (2 * 7 * 8 * 2) * 2 + int8, cache.Bytes);
        Assert.Equal(2, cache.Remove("doc-1"));
        Assert.Equal(2 * (2 * 5 * 8 * 4) + int8, cache.Bytes);
    }

    [Fact]
    public void Serialization_round_trips_every_entry_bit_for_bit()
    {
        var cache = Sample();
        var loaded = BlockKvCache.Load(new MemoryStream(Serialized(cache)));
        Assert.Equal(cache.Count, loaded.Count);
        Assert.Equal(cache.Bytes, loaded.Bytes);
        foreach (var (block, layer, entry) in cache.Entries())
        {
            var other = loaded.Get(block, layer);
            Assert.Equal(entry.Position, other.Position);
            Assert.Equal(entry.Keys.Precision, other.Keys.Precision);
            Assert.Equal(entry.Keys.ToSingle(), other.Keys.ToSingle());
            Assert.Equal(entry.Values.ToSingle(), other.Values.ToSingle());
        }
    }

    [Fact]
    public void Files_round_trip_too()
    {
        string path = Path.Combine(Path.GetTempPath(), $"kv-{Guid.NewGuid():N}.bin");
        try
        {
            Sample().Save(path);
            Assert.Equal(5, BlockKvCache.Load(path).Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_flipped_byte_is_rejected_by_the_checksum()
    {
        var bytes = Serialized(Sample());
        bytes[bytes.Length / 2] ^= 0x10;
        var e = Assert.Throws<KvCacheFormatException>(() => BlockKvCache.Load(new MemoryStream(bytes)));
        Assert.Contains("checksum", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(-1)]
    public void A_truncated_file_is_rejected(int keep)
    {
        var bytes = Serialized(Sample());
        var cut = bytes.AsSpan(0, keep < 0 ? bytes.Length - 1 : keep).ToArray();
        var e = Assert.Throws<KvCacheFormatException>(() => BlockKvCache.Load(new MemoryStream(cut)));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void A_truncated_pipe_is_rejected_without_seeking()
    {
        var bytes = Serialized(Sample());
        var cut = bytes.AsSpan(0, bytes.Length - 40).ToArray();
        var e = Assert.Throws<KvCacheFormatException>(() => BlockKvCache.Load(new ForwardOnlyStream(new MemoryStream(cut))));
        Assert.Contains("truncated", e.Message);
        Assert.Equal(5, BlockKvCache.Load(new ForwardOnlyStream(new MemoryStream(bytes))).Count);
    }

    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void Wrong_magic_and_version_are_rejected()
    {
        var bytes = Serialized(Sample());
        var other = bytes.ToArray();
        other[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<KvCacheFormatException>(() => BlockKvCache.Load(new MemoryStream(other))).Message);
        other = bytes.ToArray();
        other[8] = 99;
        Assert.Contains("version", Assert.Throws<KvCacheFormatException>(() => BlockKvCache.Load(new MemoryStream(other))).Message);
    }

    [Fact]
    public void ReEncode_rotates_keys_to_the_new_position_and_leaves_values()
    {
        var rope = new RotaryEmbedding(8);
        var random = new Random(5);
        var raw = Tensors.Random(random, 2 * 6 * 8);
        float[] EncodedAt(int position)
        {
            var copy = raw.ToArray();
            for (int h = 0; h < 2; h++) rope.Apply(copy.AsSpan(h * 48, 48), position);
            return copy;
        }
        var values = KvTensor.FromSingle(Tensors.Random(random, 2 * 6 * 8), 2, 6, 8);
        var cache = new BlockKvCache();
        cache.Put("doc", 3, KvTensor.FromSingle(EncodedAt(40), 2, 6, 8), values, 40);
        cache.ReEncode("doc", 3, 1234, rope);
        var entry = cache.Get("doc", 3);
        Assert.Equal(1234, entry.Position);
        var expected = EncodedAt(1234);
        var actual = entry.Keys.ToSingle();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5);
        Assert.Same(values, entry.Values);
    }
}
