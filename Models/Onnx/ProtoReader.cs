using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Search.Models.Onnx;

/// <summary>The wire types of protocol buffers.</summary>
public enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}

/// <summary>One field of a protocol buffer message: its number, wire type, and value (a number, or the bytes of a length-delimited field).</summary>
public readonly record struct ProtoField(int Number, WireType Type, ulong Value, ReadOnlyMemory<byte> Bytes, ReadOnlyMemory<byte> Raw)
{
    /// <summary>A length-delimited field as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Bytes.Span);

    /// <summary>A varint field as a signed 64-bit number (two's complement, as int64 fields are encoded).</summary>
    public long Int64 => (long)Value;
}

/// <summary>
/// Reads the fields of one protocol buffer message in order, without a schema: enough to walk an ONNX model's graph
/// and tensors (and to copy fields it does not understand unchanged). A malformed message throws <see cref="InvalidDataException"/>.
/// </summary>
public static class ProtoReader
{
    /// <summary>The fields of <paramref name="message"/>, in the order they appear.</summary>
    public static IEnumerable<ProtoField> Fields(ReadOnlyMemory<byte> message)
    {
        int at = 0;
        while (at < message.Length)
        {
            int start = at;
            ulong key = Varint(message.Span, ref at);
            int number = (int)(key >> 3);
            var type = (WireType)(int)(key & 7);
            if (number <= 0) throw new InvalidDataException($"protobuf: field number {number} at byte {start}");
            switch (type)
            {
                case WireType.Varint:
                {
                    ulong v = Varint(message.Span, ref at);
                    yield return new ProtoField(number, type, v, default, message[start..at]);
                    break;
                }
                case WireType.Fixed64:
                {
                    Need(message.Length, at, 8);
                    ulong v = BinaryPrimitives.ReadUInt64LittleEndian(message.Span[at..]);
                    at += 8;
                    yield return new ProtoField(number, type, v, default, message[start..at]);
                    break;
                }
                case WireType.Fixed32:
                {
                    Need(message.Length, at, 4);
                    ulong v = BinaryPrimitives.ReadUInt32LittleEndian(message.Span[at..]);
                    at += 4;
                    yield return new ProtoField(number, type, v, default, message[start..at]);
                    break;
                }
                case WireType.LengthDelimited:
                {
                    ulong length = Varint(message.Span, ref at);
                    if (length > (ulong)(message.Length - at)) throw new InvalidDataException($"protobuf: field {number} runs past its message");
                    var bytes = message.Slice(at, (int)length);
                    at += (int)length;
                    yield return new ProtoField(number, type, 0, bytes, message[start..at]);
                    break;
                }
                default:
                    throw new InvalidDataException($"protobuf: wire type {(int)type} of field {number} is not supported");
            }
        }
    }

    /// <summary>The varints of a packed repeated field (or of one unpacked element).</summary>
    public static IEnumerable<long> PackedVarints(ProtoField field)
    {
        if (field.Type == WireType.Varint)
        {
            yield return field.Int64;
            yield break;
        }
        int at = 0;
        while (at < field.Bytes.Length) yield return (long)Varint(field.Bytes.Span, ref at);
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= data.Length) throw new InvalidDataException("protobuf: truncated varint");
            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("protobuf: varint longer than 64 bits");
    }

    private static void Need(int length, int at, int count)
    {
        if (length - at < count) throw new InvalidDataException("protobuf: truncated fixed-width field");
    }
}

/// <summary>Writes protocol buffer fields; a nested message is written whole (its bytes), as protobuf lays it out.</summary>
public sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _output = new();

    /// <summary>The bytes written.</summary>
    public byte[] ToArray() => _output.WrittenSpan.ToArray();

    /// <summary>Copies a field as it was read.</summary>
    public void Raw(ProtoField field) => _output.Write(field.Raw.Span);

    /// <summary>A varint field.</summary>
    public void Varint(int number, long value)
    {
        Key(number, WireType.Varint);
        WriteVarint((ulong)value);
    }

    /// <summary>A length-delimited field.</summary>
    public void Bytes(int number, ReadOnlySpan<byte> value)
    {
        Key(number, WireType.LengthDelimited);
        WriteVarint((ulong)value.Length);
        _output.Write(value);
    }

    /// <summary>A string field.</summary>
    public void Text(int number, string value) => Bytes(number, Encoding.UTF8.GetBytes(value));

    /// <summary>A packed repeated varint field.</summary>
    public void PackedVarints(int number, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (long v in values) inner.WriteVarint((ulong)v);
        Bytes(number, inner.ToArray());
    }

    private void Key(int number, WireType type) => WriteVarint(((ulong)number << 3) | (ulong)type);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _output.Write([(byte)(value | 0x80)]);
            value >>= 7;
        }
        _output.Write([(byte)value]);
    }
}
