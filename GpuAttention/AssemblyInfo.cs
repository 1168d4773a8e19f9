// The attention kernels (CPU SIMD now, a CUDA backend later) arrive with the transformer-runtime issue;
// the project exists so that the dependency direction Ranking → GpuAttention is fixed from the start.
[assembly: System.CLSCompliant(false)]
