// SIMD replacements for FAISS's distance kernels. Debian's libfaiss.a is built without SIMD, so its
// fvec_* functions are scalar loops; these definitions are linked ahead of the archive and win, which
// makes every FAISS hot path (flat scans, HNSW, IVF lists, k-means) use AVX2/FMA when the CPU has it.
#include <cstddef>
#include <cstdint>
#include <immintrin.h>

namespace faiss_shim {
// 1 = use AVX2/FMA when the CPU supports it, 0 = force the scalar path (tests compare the two).
int simd_requested = 1;
static const bool cpu_has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
static inline bool use_avx2() { return simd_requested && cpu_has_avx2; }
bool simd_active() { return use_avx2(); }
} // namespace faiss_shim

namespace {

float ip_scalar(const float* x, const float* y, size_t d) {
    float s = 0;
    for (size_t i = 0; i < d; i++) s += x[i] * y[i];
    return s;
}

float l2_scalar(const float* x, const float* y, size_t d) {
    float s = 0;
    for (size_t i = 0; i < d; i++) {
        float t = x[i] - y[i];
        s += t * t;
    }
    return s;
}

__attribute__((target("avx2,fma"))) inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

// Masked load of the last d % 8 floats, so tails never read past the end of a row.
__attribute__((target("avx2,fma"))) inline __m256 load_tail(const float* p, size_t rest) {
    static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    __m256i mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask_table + 8 - rest));
    return _mm256_maskload_ps(p, mask);
}

// Two accumulators of 16 floats hide the FMA latency on rows of the usual embedding sizes (384, 768).
__attribute__((target("avx2,fma"))) float ip_avx2(const float* x, const float* y, size_t d) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    }
    if (i + 8 <= d) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        i += 8;
    }
    if (i < d) a1 = _mm256_fmadd_ps(load_tail(x + i, d - i), load_tail(y + i, d - i), a1);
    return hsum256(_mm256_add_ps(a0, a1));
}

__attribute__((target("avx2,fma"))) float l2_avx2(const float* x, const float* y, size_t d) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
        __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8));
        a0 = _mm256_fmadd_ps(t0, t0, a0);
        a1 = _mm256_fmadd_ps(t1, t1, a1);
    }
    if (i + 8 <= d) {
        __m256 t = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
        a0 = _mm256_fmadd_ps(t, t, a0);
        i += 8;
    }
    if (i < d) {
        __m256 t = _mm256_sub_ps(load_tail(x + i, d - i), load_tail(y + i, d - i));
        a1 = _mm256_fmadd_ps(t, t, a1);
    }
    return hsum256(_mm256_add_ps(a0, a1));
}

// Four rows of y per pass share each load of x.
__attribute__((target("avx2,fma"))) void ip_ny_avx2(float* out, const float* x, const float* y, size_t d, size_t ny) {
    size_t j = 0;
    for (; j + 4 <= ny; j += 4) {
        const float *y0 = y + j * d, *y1 = y0 + d, *y2 = y1 + d, *y3 = y2 + d;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 8 <= d; i += 8) {
            __m256 xv = _mm256_loadu_ps(x + i);
            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y0 + i), a0);
            a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y1 + i), a1);
            a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y2 + i), a2);
            a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y3 + i), a3);
        }
        if (i < d) {
            __m256 xv = load_tail(x + i, d - i);
            a0 = _mm256_fmadd_ps(xv, load_tail(y0 + i, d - i), a0);
            a1 = _mm256_fmadd_ps(xv, load_tail(y1 + i, d - i), a1);
            a2 = _mm256_fmadd_ps(xv, load_tail(y2 + i, d - i), a2);
            a3 = _mm256_fmadd_ps(xv, load_tail(y3 + i, d - i), a3);
        }
        out[j] = hsum256(a0);
        out[j + 1] = hsum256(a1);
        out[j + 2] = hsum256(a2);
        out[j + 3] = hsum256(a3);
    }
    for (; j < ny; j++) out[j] = ip_avx2(x, y + j * d, d);
}

} // namespace

namespace faiss {

float fvec_inner_product(const float* x, const float* y, size_t d) {
    return faiss_shim::use_avx2() ? ip_avx2(x, y, d) : ip_scalar(x, y, d);
}

float fvec_L2sqr(const float* x, const float* y, size_t d) {
    return faiss_shim::use_avx2() ? l2_avx2(x, y, d) : l2_scalar(x, y, d);
}

float fvec_norm_L2sqr(const float* x, size_t d) {
    return faiss_shim::use_avx2() ? ip_avx2(x, x, d) : ip_scalar(x, x, d);
}

void fvec_inner_products_ny(float* ip, const float* x, const float* y, size_t d, size_t ny) {
    if (faiss_shim::use_avx2()) {
        ip_ny_avx2(ip, x, y, d, ny);
        return;
    }
    for (size_t j = 0; j < ny; j++) ip[j] = ip_scalar(x, y + j * d, d);
}

void fvec_L2sqr_ny(float* dis, const float* x, const float* y, size_t d, size_t ny) {
    bool simd = faiss_shim::use_avx2();
    for (size_t j = 0; j < ny; j++) dis[j] = simd ? l2_avx2(x, y + j * d, d) : l2_scalar(x, y + j * d, d);
}

size_t fvec_L2sqr_ny_nearest(float* distances_tmp_buffer, const float* x, const float* y, size_t d, size_t ny) {
    fvec_L2sqr_ny(distances_tmp_buffer, x, y, d, ny);
    size_t best = 0;
    float best_distance = ny > 0 ? distances_tmp_buffer[0] : 0;
    for (size_t j = 1; j < ny; j++) {
        if (distances_tmp_buffer[j] < best_distance) {
            best_distance = distances_tmp_buffer[j];
            best = j;
        }
    }
    return best;
}

} // namespace faiss

// The same kernels under C names, so tests can compare them with a managed reference directly.
extern "C" __attribute__((visibility("default"))) float faiss_shim_inner_product(const float* x, const float* y, size_t d) {
    return faiss::fvec_inner_product(x, y, d);
}
extern "C" __attribute__((visibility("default"))) float faiss_shim_l2sqr(const float* x, const float* y, size_t d) {
    return faiss::fvec_L2sqr(x, y, d);
}
