// xpuscope's own kernels. Built to xpuscope.spv by native/scripts/build-kernels.sh (clang + llvm-spirv-14).
// The simulated driver (libze_xpusim) executes each of them natively on the host with the same
// arithmetic (src/kernels.c), so results are real. All kernels are 1-D: use groupCountY = Z = 1.

// Each work-item runs `iterations` dependent multiply-adds, then writes out[gid].
kernel void busy(global float *out, uint iterations) {
    size_t gid = get_global_id(0);
    float x = 1.0f;
    for (uint i = 0; i < iterations; i++) x = fma(x, 0.999f, 0.5f);
    out[gid] = x + (float)gid;
}

kernel void saxpy(global float *y, global const float *x, float a) {
    size_t gid = get_global_id(0);
    y[gid] = fma(a, x[gid], y[gid]);
}

kernel void fill_u32(global uint *out, uint seed) {
    size_t gid = get_global_id(0);
    out[gid] = seed ^ ((uint)gid * 2654435761u);
}

kernel void checksum_u32(global const uint *in, global uint *sum) {
    atomic_add(sum, in[get_global_id(0)]);
}

kernel void copy_u32(global uint *dst, global const uint *src) {
    size_t gid = get_global_id(0);
    dst[gid] = src[gid];
}
