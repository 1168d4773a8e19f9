namespace Search.GpuAttention.Caching;

/// <summary>
/// A pass-through stream that CRCs and counts the bytes going through it; when reading it stops at a byte limit,
/// so a corrupt size field cannot make the parser read past the payload.
/// </summary>
internal sealed class ChecksumStream(Stream inner, long readLimit = long.MaxValue) : Stream
{
    private uint _state = Crc32.Start;

    /// <summary>Bytes read or written so far.</summary>
    public long Count { get; private set; }

    /// <summary>The CRC-32 of those bytes.</summary>
    public uint Checksum => Crc32.Finish(_state);

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Count; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        long left = readLimit - Count;
        if (left <= 0) return 0;
        if (buffer.Length > left) buffer = buffer[..(int)left];
        int read = inner.Read(buffer);
        _state = Crc32.Append(_state, buffer[..read]);
        Count += read;
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _state = Crc32.Append(_state, buffer);
        Count += buffer.Length;
    }

    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
