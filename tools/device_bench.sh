#!/usr/bin/env bash
# The GPU benchmarks on a machine that has a GPU but no .NET SDK and no package registry.
#   tools/device_bench.sh build           publish benchmarks/Device self-contained (linux-x64) into .device/ (~30 MB)
#   tools/device_bench.sh run VERB [ARGS]  run it there: check (CUDA vs CPU kernels), attention [--quick] [--docs N] or
#                                         ranking --tokenizer DIR [--quick], encoder [--quick];
#                                         exit 2 without a GPU
# Carry .device/ to the GPU machine with the working tree; the JSON summary is the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  build)
    rm -rf .device
    # Trimming keeps the copy small; the analysis warnings concern JSON paths of the model runtime this program never takes.
    dotnet publish benchmarks/Device -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -p:TrimMode=partial \
      -p:SuppressTrimAnalysisWarnings=true -p:TreatWarningsAsErrors=false -o .device >&2
    # Native pieces the attention benchmark never loads: ONNX Runtime (the encoder runtime) and the debugger's helpers.
    # The packaged encoders' weights (the ranking benchmark reaches them only through a project reference), too.
    rm -rf .device/encoders
    rm -f .device/libonnxruntime*.so .device/libmscordaccore.so .device/libmscordbi.so .device/*.pdb
    du -sh .device
    ;;
  run)
    shift
    # ILGPU opens the CUDA driver as libcuda.so; driver-only machines often have just libcuda.so.1.
    if ! ldconfig -p | grep -q 'libcuda\.so '; then
      for lib in $(ldconfig -p | awk '/libcuda\.so\.1 /{print $NF}') /usr/local/nvidia/lib64/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1; do
        if [ -e "$lib" ]; then ln -sf "$lib" .device/libcuda.so; break; fi
      done
    fi
    export LD_LIBRARY_PATH="$PWD/.device:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    exec .device/Search.Benchmarks.Device "$@"
    ;;
  *)
    echo "usage: tools/device_bench.sh build | run check | run attention [--quick] [--docs N] | run ranking --tokenizer DIR [--quick] [--cpu] | run encoder [--quick]  (each [--simulator])" >&2
    exit 2
    ;;
esac
