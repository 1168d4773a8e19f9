using System.Diagnostics;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace Search.GpuAttention.Ilgpu;

/// <summary>
/// <see cref="IAttentionBackend"/> on an ILGPU accelerator: CUDA on a GPU, or ILGPU's CPU accelerator, which runs
/// the same kernel (groups, shared memory, barriers) without one and is how CI checks it. Key/value tensors stay
/// resident on the device between calls (see <see cref="DeviceKvPool"/>); calls are serialised on one stream.
/// </summary>
public sealed class IlgpuAttentionBackend : IAttentionBackend, IDisposable
{
    /// <summary>The default byte budget of device-resident key/value tensors.</summary>
    public const long DefaultResidentBudgetBytes = 1L << 30;

    private readonly IlgpuDevice? _owned;
    private readonly Accelerator _accelerator;
    private readonly DeviceKvPool _pool;
    private readonly Action<KernelConfig, AttentionArgs, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _kernel;
    private readonly Lock _gate = new();
    private readonly DeviceArray<float> _query, _work, _output, _masses;
    private readonly DeviceArray<int> _jobs, _ranges, _origins;
    private readonly Action<KernelConfig, AttentionArgs, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _combine;
    private readonly AttentionSplitPolicy _split;
    private readonly Action<Index1D, int, ArrayView<float>, ArrayView<ushort>> _narrow;

    /// <summary>Runs on <paramref name="accelerator"/>, which the caller keeps and disposes.</summary>
    public IlgpuAttentionBackend(Accelerator accelerator, long residentBudgetBytes = DefaultResidentBudgetBytes)
        : this(null, accelerator, residentBudgetBytes) { }

    /// <summary>Runs on <paramref name="device"/>, which it owns and disposes.</summary>
    public IlgpuAttentionBackend(IlgpuDevice device, long residentBudgetBytes = DefaultResidentBudgetBytes)
        : this(device, device.Accelerator, residentBudgetBytes) { }

    private IlgpuAttentionBackend(IlgpuDevice? owned, Accelerator accelerator, long residentBudgetBytes, AttentionSplitPolicy? split = null)
    {
        _owned = owned;
        _accelerator = accelerator;
        accelerator.Bind(); // loading kernels needs the context current on this thread
        _pool = new DeviceKvPool(accelerator, residentBudgetBytes);
        _kernel = accelerator.LoadStreamKernel<AttentionArgs, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(AttentionKernel.Run);
        _query = new DeviceArray<float>(accelerator);
        _work = new DeviceArray<float>(accelerator);
        _output = new DeviceArray<float>(accelerator);
        _masses = new DeviceArray<float>(accelerator);
        _jobs = new DeviceArray<int>(accelerator);
        _ranges = new DeviceArray<int>(accelerator);
        _origins = new DeviceArray<int>(accelerator);
        _combine = accelerator.LoadStreamKernel<AttentionArgs, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(AttentionKernel.Combine);
        _narrow = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, ArrayView<float>, ArrayView<ushort>>(KvNarrowKernel.Narrow);
        _split = split ?? AttentionSplitPolicy.For(accelerator.NumMultiprocessors);
    }

    /// <summary>The backend on ILGPU's CPU accelerator (the kernel as a GPU would run it, simulated on threads).</summary>
    public static IlgpuAttentionBackend CreateCpuSimulator(long residentBudgetBytes = DefaultResidentBudgetBytes) => CreateCpuSimulator(residentBudgetBytes, null);

    /// <summary>The simulator with its own split-K policy (tests split far more than one simulated multiprocessor asks for).</summary>
    internal static IlgpuAttentionBackend CreateCpuSimulator(long residentBudgetBytes, AttentionSplitPolicy? split)
    {
        var device = IlgpuDevice.OpenSimulator(AttentionKernel.QueryTile);
        return new IlgpuAttentionBackend(device, device.Accelerator, residentBudgetBytes, split);
    }

    /// <inheritdoc />
    public string Name => IlgpuDevice.NameOf(_accelerator);

    /// <summary>The device's name as its driver reports it.</summary>
    public string DeviceName => _accelerator.Name;

    /// <summary>The accelerator the kernel runs on (a model's other device passes share it).</summary>
    public Accelerator Accelerator => _accelerator;

    /// <summary>
    /// The device's arithmetic ceilings from its multiprocessors and clock: fp32 on the CUDA cores (what this kernel
    /// uses) and dense bf16 on the tensor cores (what FlashAttention-2/3 report against); null off CUDA, or for an
    /// architecture not in the table.
    /// </summary>
    public DevicePeaks? Peaks => DevicePeaks.Of(_accelerator);

    /// <summary>Wall time of the last call's kernel alone (launch to completion), without planning and transfers.</summary>
    public double LastKernelMilliseconds { get; private set; }

    /// <summary>Row tiles whose keys the last call split over several groups (and combined after).</summary>
    internal int LastSplitTiles { get; private set; }

    /// <summary>Key/value tensors copied to the device, and found already there, since the backend was created.</summary>
    public (long Uploads, long Hits, long ResidentBytes) Residency
    {
        get
        {
            lock (_gate) return (_pool.Uploads, _pool.Hits, _pool.ResidentBytes);
        }
    }

    /// <inheritdoc />
    public void Dense(AttentionInput input, bool causal, float[] output) => Execute(AttentionPlan.Dense(input, causal, output), output, null);

    /// <inheritdoc />
    public BlockMasses? BlockSparse(AttentionInput input, BlockLayout layout, float[]? output, RowRange? massRows = null) =>
        Execute(AttentionPlan.BlockSparse(input, layout, output, massRows), output, null);

    /// <inheritdoc />
    public BlockMasses? QueryAgainstCache(CachedContext context, AttentionInput queryBlock, float[]? output, RowRange? massRows = null) =>
        Execute(AttentionPlan.QueryAgainstCache(context, queryBlock, output, massRows), output, null);

    /// <summary>
    /// This backend for operands a decoder pass keeps on the device: queries head-major [heads][tokens][headDim] in
    /// <paramref name="queries"/>, and the output written token-major [tokens][heads·headDim] into <paramref name="output"/>,
    /// where the layer's output projection reads it. An input's query array then gives only the shape, and an output
    /// array only asks for the output (it is left as it is); masses come to the host as usual.
    /// </summary>
    public IAttentionBackend OnDeviceOperands(ArrayView<float> queries, ArrayView<float> output) => new DeviceOperandAttention(this, new DeviceOperands(queries, output));

    /// <summary>
    /// Keys or values a pass on this accelerator laid out head-major ([heads][tokens][headDim], fp32) in
    /// <paramref name="source"/>, as the host tensor a cache keeps. In fp32, fp16 and bf16 the tensor is resident for later
    /// calls from the start (rounded on the device as the host rounds), so only the host's copy crosses; int8 is
    /// quantised on the host and copied up when a call needs it.
    /// </summary>
    public KvTensor TakeKeyValues(ArrayView<float> source, int heads, int tokens, int headDim, KvPrecision precision)
    {
        int length = checked(heads * tokens * headDim);
        lock (_gate)
        {
            _accelerator.Bind();
            if (precision == KvPrecision.Int8 || length == 0)
            {
                var data = new float[length];
                _accelerator.Synchronize();
                HostCopy.ToHost(source, data.AsSpan());
                return KvTensor.FromSingle(data, heads, tokens, headDim, precision);
            }
            var tensor = KvTensor.Create(heads, tokens, headDim, precision);
            var (arena, offset) = _pool.Adopt(tensor);
            if (arena == AttentionKernel.Single)
            {
                var target = _pool.Single.SubView(offset, length);
                target.CopyFrom(source.SubView(0, length));
                _accelerator.Synchronize();
                HostCopy.ToHost(target, tensor.SingleStorage.AsSpan());
            }
            else
            {
                var target = _pool.Half.SubView(offset, length);
                _narrow(length, arena, source, target);
                _accelerator.Synchronize();
                HostCopy.ToHost(target, tensor.BitStorage.AsSpan());
            }
            return tensor;
        }
    }

    internal BlockMasses? Execute(AttentionPlan plan, float[]? output, DeviceOperands? operands)
    {
        var input = plan.Input;
        if (input.HeadDim > AttentionKernel.MaxHeadDim)
            throw new NotSupportedException($"the device kernel holds rows of at most {AttentionKernel.MaxHeadDim} elements; this model has {input.HeadDim}");
        // No query rows, or none measured and no output asked: nothing attends (an output then has no rows to fill).
        if (input.QueryTokens == 0 || plan.Segments.Count == 0) return plan.Masses;
        lock (_gate)
        {
            // A CUDA context is current only on the thread that made it; requests arrive on any pool thread.
            _accelerator.Bind();
            var tensors = new HashSet<KvTensor>(ReferenceEqualityComparer.Instance);
            foreach (var segment in plan.Segments)
                foreach (var range in segment.Ranges)
                {
                    tensors.Add(range.Keys);
                    tensors.Add(range.Values);
                }
            var places = _pool.EnsureResident(tensors);

            // Ranges, with each RoPE rotation's cos and sin at the front of the work buffer; scratch (per-range sums for
            // masses, split jobs' partial states) follows them and is written on the device, never copied.
            var rope = new List<float>();
            var rangeFields = new List<int>();
            int heads = input.Heads, group = heads / input.KvHeads, d = input.HeadDim;
            int baseJobs = 0;
            foreach (var segment in plan.Segments) baseJobs += heads * ((segment.Rows + AttentionKernel.QueryTile - 1) / AttentionKernel.QueryTile);
            // Few query rows against many keys (a cached query) leave most multiprocessors idle: split their keys.
            int splitsWanted = Math.Clamp((_split.TargetGroups + baseJobs - 1) / baseJobs, 1, AttentionKernel.MaxSplits);
            var segmentLists = new List<(int First, int Count)>[plan.Segments.Count];
            for (int s = 0; s < plan.Segments.Count; s++)
            {
                var keyRanges = plan.Segments[s].Ranges;
                var ropeOffsets = new int[keyRanges.Length];
                int keys = 0;
                for (int i = 0; i < keyRanges.Length; i++)
                {
                    ropeOffsets[i] = -1;
                    if (keyRanges[i].Rope is not null)
                    {
                        ropeOffsets[i] = rope.Count;
                        rope.AddRange(keyRanges[i].Cos!);
                        rope.AddRange(keyRanges[i].Sin!);
                    }
                    keys += keyRanges[i].Count;
                }
                int splits = Math.Min(splitsWanted, Math.Max(1, keys / _split.MinKeys));
                var lists = segmentLists[s] = [];
                int first = rangeFields.Count / AttentionKernel.RangeFields;
                if (splits == 1)
                {
                    for (int i = 0; i < keyRanges.Length; i++) AddRange(rangeFields, places, keyRanges[i], ropeOffsets[i], 0, keyRanges[i].Count);
                    lists.Add((first, keyRanges.Length));
                    continue;
                }
                // Parts of about equal keys, in whole key tiles; a range cut at a part's edge goes on in the next part.
                int perPart = ((keys + splits - 1) / splits + AttentionKernel.KeyTile - 1) / AttentionKernel.KeyTile * AttentionKernel.KeyTile;
                int filled = 0;
                for (int i = 0; i < keyRanges.Length; i++)
                {
                    for (int offset = 0; offset < keyRanges[i].Count;)
                    {
                        int take = Math.Min(keyRanges[i].Count - offset, perPart - filled);
                        AddRange(rangeFields, places, keyRanges[i], ropeOffsets[i], offset, take);
                        offset += take;
                        filled += take;
                        if (filled == perPart)
                        {
                            int end = rangeFields.Count / AttentionKernel.RangeFields;
                            lists.Add((first, end - first));
                            first = end;
                            filled = 0;
                        }
                    }
                }
                if (filled > 0) lists.Add((first, rangeFields.Count / AttentionKernel.RangeFields - first));
            }

            // Jobs: one head's run of at most QueryTile rows (or one part of its keys); jobs holding measured rows get
            // scratch for per-range sums, parts get scratch for their partial state.
            var massRows = plan.MassRows;
            var jobFields = new List<int>();
            var originFields = new List<int>();
            long scratchEnd = rope.Count;
            for (int s = 0; s < plan.Segments.Count; s++)
            {
                var segment = plan.Segments[s];
                var lists = segmentLists[s];
                for (int h = 0; h < heads; h++)
                    for (int t = 0; t < segment.Rows; t += AttentionKernel.QueryTile)
                    {
                        int row0 = segment.Row0 + t, rows = Math.Min(AttentionKernel.QueryTile, segment.Rows - t);
                        bool measured = plan.Masses is not null && row0 < massRows.Start + massRows.Count && row0 + rows > massRows.Start;
                        if (lists.Count > 1) originFields.AddRange([jobFields.Count / AttentionKernel.JobFields, lists.Count]);
                        foreach (var (first, count) in lists)
                        {
                            int scratch = -1, partial = -1;
                            if (measured)
                            {
                                scratch = checked((int)scratchEnd);
                                scratchEnd += (long)count * AttentionKernel.QueryTile * 2;
                            }
                            if (lists.Count > 1)
                            {
                                partial = checked((int)scratchEnd);
                                scratchEnd += (long)AttentionKernel.QueryTile * (2 + d);
                            }
                            jobFields.AddRange([h, h / group, row0, rows, segment.Position0 + t, first, count, scratch, partial]);
                        }
                    }
            }
            int jobCount = jobFields.Count / AttentionKernel.JobFields;
            int originCount = originFields.Count / AttentionKernel.OriginFields;
            LastSplitTiles = originCount;

            var query = operands?.Queries ?? _query.Upload(input.Query);
            var jobs = _jobs.Upload(CollectionsMarshal.AsSpan(jobFields));
            var ranges = _ranges.Upload(CollectionsMarshal.AsSpan(rangeFields));
            var workView = _work.Upload(CollectionsMarshal.AsSpan(rope), scratchEnd);
            var origins = _origins.Upload(CollectionsMarshal.AsSpan(originFields));
            var outputView = operands?.Output ?? _output.Reserve(output?.Length ?? 0);
            long massLength = plan.Masses is { } m ? (long)m.Heads * m.Rows.Count * m.Blocks : 0;
            var massView = _masses.Reserve(massLength);
            if (massLength > 0) massView.SubView(0, massLength).MemSetToZero(_accelerator.DefaultStream);
            var args = new AttentionArgs
            {
                QueryTokens = input.QueryTokens,
                HeadDim = input.HeadDim,
                Scale = input.EffectiveScale,
                WithOutput = output is null ? 0 : 1,
                MassStart = massRows.Start,
                MassCount = plan.Masses is null ? 0 : massRows.Count,
                MassBlocks = plan.Masses?.Blocks ?? 0,
                Heads = input.Heads,
                TokenMajorOutput = operands is null ? 0 : 1,
            };
            _accelerator.Synchronize();
            long started = Stopwatch.GetTimestamp();
            _kernel(new KernelConfig(jobCount, AttentionKernel.QueryTile), args, query, _pool.Single, _pool.Half, jobs, ranges, workView, outputView, massView);
            if (originCount > 0) _combine(new KernelConfig(originCount, AttentionKernel.QueryTile), args, origins, jobs, ranges, workView, outputView, massView);
            _accelerator.Synchronize();
            LastKernelMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (output is not null && operands is null) HostCopy.ToHost(outputView, output.AsSpan());
            if (plan.Masses is { } masses && massLength > 0)
            {
                var target = masses.All;
                HostCopy.ToHost(massView, target[..checked((int)massLength)]);
            }
            return plan.Masses;
        }
    }

    private static void AddRange(List<int> fields, Dictionary<KvTensor, (int Arena, long Offset)> places, in KeyRange range, int ropeOffset, int offset, int count)
    {
        var (keyArena, keyBase) = places[range.Keys];
        var (valueArena, valueBase) = places[range.Values];
        fields.AddRange([
            checked((int)keyBase), checked((int)valueBase), keyArena, valueArena, checked(range.Keys.Tokens * range.Keys.HeadDim),
            range.TokenStart + offset, count, range.Causal ? 1 : 0, range.KeyPosition + offset, range.MassSlot, ropeOffset,
            range.Rope?.Pairing == RotaryPairing.Interleaved ? 1 : 0]);
    }

    /// <summary>Frees the device buffers, and the accelerator when this backend created it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _accelerator.Bind();
            _pool.Dispose();
            _query.Dispose();
            _work.Dispose();
            _output.Dispose();
            _masses.Dispose();
            _jobs.Dispose();
            _ranges.Dispose();
            _origins.Dispose();
            _owned?.Dispose();
        }
    }
}
