using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Search.GpuAttention.Ilgpu;

/// <summary>
/// Device-resident copies of key/value tensors, so cached passage K/V is gathered to the device once and reused by
/// later queries. Two arenas (fp32, and 16-bit for fp16/bf16) filled front to back up to a byte budget; when a call's
/// tensors do not fit beside what is resident, the pool starts over (every copy is dropped) and, if one call alone
/// needs more than the budget, grows to hold it. A tensor written since it was copied is copied again.
/// </summary>
internal sealed class DeviceKvPool : IDisposable
{
    private sealed class Entry
    {
        public int Generation;
        public int Version;
        public int Arena;
        public long Offset;
    }

    private readonly Accelerator _accelerator;
    private readonly long _budgetBytes;
    private readonly ConditionalWeakTable<KvTensor, Entry> _entries = [];
    private MemoryBuffer1D<float, Stride1D.Dense>? _single;
    private MemoryBuffer1D<ushort, Stride1D.Dense>? _half;
    private long _singleUsed, _halfUsed;
    private int _generation;

    public DeviceKvPool(Accelerator accelerator, long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        _accelerator = accelerator;
        _budgetBytes = budgetBytes;
    }

    /// <summary>Copies to the device made since the pool was created.</summary>
    public long Uploads { get; private set; }

    /// <summary>Tensors found resident since the pool was created.</summary>
    public long Hits { get; private set; }

    /// <summary>Bytes resident now.</summary>
    public long ResidentBytes => _singleUsed * sizeof(float) + _halfUsed * sizeof(ushort);

    /// <summary>The fp32 arena (a one-element placeholder before anything is stored).</summary>
    public ArrayView<float> Single => (_single ??= _accelerator.Allocate1D<float>(1)).View;

    /// <summary>The 16-bit arena.</summary>
    public ArrayView<ushort> Half => (_half ??= _accelerator.Allocate1D<ushort>(1)).View;

    /// <summary>Makes every tensor of one call resident and returns where each one is: its arena and element offset.</summary>
    public Dictionary<KvTensor, (int Arena, long Offset)> EnsureResident(IReadOnlyCollection<KvTensor> tensors)
    {
        long singleNeeded = 0, halfNeeded = 0, singleAll = 0, halfAll = 0;
        foreach (var tensor in tensors)
        {
            long elements = (long)tensor.Heads * tensor.Tokens * tensor.HeadDim;
            bool resident = IsResident(tensor);
            if (tensor.Precision is KvPrecision.Float32 or KvPrecision.Int8)
            {
                singleAll += elements;
                if (!resident) singleNeeded += elements;
            }
            else
            {
                halfAll += elements;
                if (!resident) halfNeeded += elements;
            }
        }
        MakeRoom(singleNeeded, halfNeeded, singleAll, halfAll);

        var places = new Dictionary<KvTensor, (int, long)>(ReferenceEqualityComparer.Instance);
        foreach (var tensor in tensors)
        {
            var entry = _entries.GetOrCreateValue(tensor);
            if (entry.Generation == _generation && entry.Version == tensor.Version && entry.Arena != 0)
            {
                Hits++;
                places[tensor] = (entry.Arena - 1, entry.Offset);
                continue;
            }
            var (arena, offset) = Place(tensor, entry);
            if (arena == AttentionKernel.Single)
            {
                // int8 is widened on the host and kept in fp32 on the device (the kernel reads fp32, fp16 and bf16 arenas).
                var data = tensor.SingleStorage ?? tensor.ToSingle();
                HostCopy.ToDevice(_single!.View.SubView(offset, data.Length), data.AsSpan());
            }
            else
            {
                var data = tensor.BitStorage!;
                HostCopy.ToDevice(_half!.View.SubView(offset, data.Length), data.AsSpan());
            }
            Uploads++;
            places[tensor] = (arena, offset);
        }
        return places;
    }

    /// <summary>
    /// Room for a fp32, fp16 or bf16 tensor whose data is made on the device: the tensor counts as resident at the
    /// returned arena and offset, and the caller writes its elements there (as they are on the host) before the next call.
    /// </summary>
    public (int Arena, long Offset) Adopt(KvTensor tensor)
    {
        if (tensor.Precision == KvPrecision.Int8) throw new ArgumentException("int8 tensors are widened from their host copy", nameof(tensor));
        long elements = (long)tensor.Heads * tensor.Tokens * tensor.HeadDim;
        long single = tensor.Precision == KvPrecision.Float32 ? elements : 0, half = elements - single;
        MakeRoom(single, half, single, half);
        return Place(tensor, _entries.GetOrCreateValue(tensor));
    }

    /// <summary>
    /// Room for elements not yet resident in each arena; when they do not fit beside what is, starts over (every copy is
    /// dropped) and makes room for all of the call's elements.
    /// </summary>
    private void MakeRoom(long singleNeeded, long halfNeeded, long singleAll, long halfAll)
    {
        if ((_singleUsed + singleNeeded) * sizeof(float) + (_halfUsed + halfNeeded) * sizeof(ushort) > _budgetBytes)
        {
            _generation++;
            _singleUsed = _halfUsed = 0;
            singleNeeded = singleAll;
            halfNeeded = halfAll;
        }
        EnsureCapacity(ref _single, _singleUsed, _singleUsed + singleNeeded, _budgetBytes / sizeof(float));
        EnsureCapacity(ref _half, _halfUsed, _halfUsed + halfNeeded, _budgetBytes / sizeof(ushort));
    }

    // The next free place of the tensor's arena (capacity already ensured), recorded in its entry.
    private (int Arena, long Offset) Place(KvTensor tensor, Entry entry)
    {
        long elements = (long)tensor.Heads * tensor.Tokens * tensor.HeadDim;
        entry.Generation = _generation;
        entry.Version = tensor.Version;
        if (tensor.Precision is KvPrecision.Float32 or KvPrecision.Int8)
        {
            entry.Arena = AttentionKernel.Single + 1;
            entry.Offset = _singleUsed;
            _singleUsed += elements;
        }
        else
        {
            entry.Arena = (tensor.Precision == KvPrecision.Float16 ? AttentionKernel.Half16 : AttentionKernel.BFloat) + 1;
            entry.Offset = _halfUsed;
            _halfUsed += elements;
        }
        return (entry.Arena - 1, entry.Offset);
    }

    private bool IsResident(KvTensor tensor) =>
        _entries.TryGetValue(tensor, out var entry) && entry.Generation == _generation && entry.Version == tensor.Version && entry.Arena != 0;

    /// <summary>Grows an arena to hold <paramref name="elements"/>, keeping its first <paramref name="used"/>; doubles up to the budget, beyond it only as needed.</summary>
    private void EnsureCapacity<T>(ref MemoryBuffer1D<T, Stride1D.Dense>? buffer, long used, long elements, long budgetElements) where T : unmanaged
    {
        long current = buffer?.Length ?? 0;
        if (elements <= current) return;
        long size = Math.Max(elements, Math.Min(Math.Max(current * 2, 1L << 20), budgetElements));
        var grown = _accelerator.Allocate1D<T>(size);
        if (buffer is not null)
        {
            if (used > 0) grown.View.SubView(0, used).CopyFrom(buffer.View.SubView(0, used));
            buffer.Dispose();
        }
        buffer = grown;
    }

    public void Dispose()
    {
        _single?.Dispose();
        _half?.Dispose();
    }
}
