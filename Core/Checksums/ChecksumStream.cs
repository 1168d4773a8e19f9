namespace Search.Core.Checksums;

/// <summary>
/// A pass-through stream that keeps a running CRC-32C and a count of the bytes that go through it. Writes are
/// buffered, so the many small writes of a file format cost one checksum pass over large runs; reads stop at
/// <c>readLimit</c>, so a corrupt length field cannot make a parser read past its payload.
/// </summary>
public sealed class ChecksumStream(Stream inner, long readLimit = long.MaxValue) : Stream
{
    private const int BufferBytes = 1 << 16;
    private byte[]? _buffer;
    private int _buffered;
    private uint _crc;

    /// <summary>Bytes read or written so far.</summary>
    public long Count { get; private set; }

    /// <summary>The CRC-32C of every byte read or written so far.</summary>
    public uint Checksum
    {
        get
        {
            FlushBuffer();
            return _crc;
        }
    }

    /// <inheritdoc />
    public override bool CanRead => inner.CanRead;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => inner.CanWrite;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => Count; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        long left = readLimit - Count;
        if (left <= 0) return 0;
        if (buffer.Length > left) buffer = buffer[..(int)left];
        int read = inner.Read(buffer);
        _crc = Crc32C.Append(_crc, buffer[..read]);
        Count += read;
        return read;
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Count += buffer.Length;
        _buffer ??= new byte[BufferBytes];
        if (buffer.Length > _buffer.Length - _buffered)
        {
            FlushBuffer();
            if (buffer.Length > _buffer.Length)
            {
                _crc = Crc32C.Append(_crc, buffer);
                inner.Write(buffer);
                return;
            }
        }
        buffer.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += buffer.Length;
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Appends an integer in little-endian byte order.</summary>
    public void WriteLittleEndian<T>(T value) where T : System.Numerics.IBinaryInteger<T>
    {
        Span<byte> b = stackalloc byte[16];
        Write(b[..value.WriteLittleEndian(b)]);
    }

    /// <inheritdoc />
    public override void Flush()
    {
        FlushBuffer();
        inner.Flush();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) FlushBuffer();
        base.Dispose(disposing);
    }

    private void FlushBuffer()
    {
        if (_buffered == 0) return;
        _crc = Crc32C.Append(_crc, _buffer.AsSpan(0, _buffered));
        inner.Write(_buffer!, 0, _buffered);
        _buffered = 0;
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
