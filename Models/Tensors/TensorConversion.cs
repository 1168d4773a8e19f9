using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Search.Models.Tensors;

/// <summary>Converts little-endian tensor bytes of a floating dtype to fp32.</summary>
internal static class TensorConversion
{
    public static void ToFloat32(TensorInfo info, ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        switch (info.DType)
        {
            case TensorDType.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                else for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case TensorDType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
            case TensorDType.BF16:
                // bf16 is the top half of an fp32, so widening is a shift.
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                break;
            case TensorDType.F64:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            default:
                throw new NotSupportedException($"tensor '{info.Name}' is {info.DType}; only floating tensors convert to fp32");
        }
    }
}
