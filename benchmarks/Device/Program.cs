using System.Text.Json;
using Search.Benchmarks;
using Search.Benchmarks.Workloads;
using Search.GpuAttention;
using Search.GpuAttention.Ilgpu;

// What './search bench attention --device cuda' runs, for a GPU machine without the product's packages:
//   Search.Benchmarks.Device check                        the CUDA kernels against the CPU kernels on random problems
//                                                         (attention; the decoder's dense layers and the encoder pass)
//   Search.Benchmarks.Device attention [--quick] [--docs N]
//   Search.Benchmarks.Device ranking --tokenizer DIR [--quick]   what './search bench ranking --device cuda' runs
//   Search.Benchmarks.Device encoder [--quick]            the encoder pass on the GPU against the CPU pass (random weights
//                                                         of the packaged encoders' shape): difference, passages/s, TFLOP/s
// ranking --cpu runs the ranking benchmark with the CPU kernels instead, as the same-machine baseline.
// --simulator runs the same kernels on ILGPU's CPU accelerator instead: a check of this build before GPU time is spent.
// Report on stderr, JSON last on stdout; exit 2 without a GPU or on bad usage, 1 when the check finds a difference.
const double Tolerance = 1e-4;
string verb = args.Length > 0 ? args[0] : "";
int documents = 100;
bool quick = false;
bool simulator = false, cpu = false;
string? tokenizer = null;
for (int i = 1; i < args.Length; i++)
{
    if (args[i] == "--quick") quick = true;
    else if (args[i] == "--simulator") simulator = true;
    else if (args[i] == "--cpu") cpu = true;
    else if (args[i] == "--tokenizer" && i + 1 < args.Length) tokenizer = args[++i];
    else if (args[i] == "--docs" && i + 1 < args.Length && int.TryParse(args[i + 1], out documents) && documents is > 0 and <= 2000) i++;
    else verb = "";
}
if (verb is not ("check" or "attention" or "ranking" or "encoder") || (verb == "ranking") != (tokenizer is not null))
{
    Console.Error.WriteLine("usage: Search.Benchmarks.Device check | attention [--quick] [--docs 1..2000] | ranking --tokenizer DIR [--quick] [--cpu] | encoder [--quick], each [--simulator]");
    return 2;
}
try
{
    if (verb == "ranking" && cpu)
    {
        // The same benchmark with the CPU kernels on this machine's cores: the same-run baseline of the GPU's numbers.
        Console.WriteLine(RankingBenchmark.Run(tokenizer!, quick, new CpuAttentionBackend(), Console.Error));
        return 0;
    }
    if (verb == "encoder")
    {
        using var device = simulator ? IlgpuDevice.OpenSimulator(256) : IlgpuDevice.Open(DeviceChoice.Cuda)!;
        // The simulator runs every thread of every group on this machine's cores: a small shape checks the build.
        Console.WriteLine(simulator
            ? EncoderDeviceBenchmark.Run(device.Accelerator, 4, 32, Console.Error, RandomEncoder.Config(layers: 1, hidden: 64, heads: 2, intermediate: 128))
            : EncoderDeviceBenchmark.Run(device.Accelerator, quick ? 256 : 2048, 128, Console.Error));
        return 0;
    }
    using var backend = simulator ? IlgpuAttentionBackend.CreateCpuSimulator() : (IlgpuAttentionBackend)AttentionDevices.Open(DeviceChoice.Cuda);
    if (verb == "ranking")
    {
        Console.WriteLine(RankingBenchmark.Run(tokenizer!, quick, backend, Console.Error));
        return 0;
    }
    if (verb == "attention")
    {
        Console.WriteLine(AttentionDeviceBenchmark.Run(backend, documents, quick, Console.Error));
        return 0;
    }
    Console.Error.WriteLine($"check on {backend.DeviceName}:");
    var (output, mass) = AttentionDeviceCheck.Run(backend, Console.Error);
    // The simulator that runs the attention kernel holds groups of its 64 threads; the matrix product needs 256.
    using var dense = simulator ? IlgpuDevice.OpenSimulator(256) : null;
    var (decoder, encoder) = DenseLayersDeviceCheck.Run(dense?.Accelerator ?? backend.Accelerator, Console.Error, small: simulator);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        device = backend.DeviceName, max_output_abs_diff = output, max_mass_abs_diff = mass,
        max_decoder_hidden_abs_diff = decoder, max_encoder_hidden_abs_diff = encoder, tolerance = Tolerance,
    }));
    return output <= Tolerance && mass <= Tolerance && decoder <= Tolerance && encoder <= Tolerance ? 0 : 1;
}
catch (DeviceUnavailableException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
