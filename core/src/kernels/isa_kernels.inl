// SPDX-License-Identifier: MIT
// Per-ISA GEMM and Adam kernels, written once over the vector type and compiled three times
// (kernels_generic.cpp, kernels_avx2.cpp, kernels_avx512.cpp) with different target flags.
// The including file defines VAECF_KNS (namespace of this copy) and VAECF_KLEVEL
// (0: baseline x86-64 / SSE2, 1: x86-64-v3 AVX2+FMA, 2: x86-64-v4 AVX-512).
// Everything here has internal linkage or lives in the per-ISA namespace, and nothing but
// intrinsics is included, so no code built for one ISA can be picked up by another.

#include <cstddef>
#include <cstdint>

#include "kernels/isa_kernels.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace vaecf::core::kernels::VAECF_KNS {
namespace {

using i64 = std::int64_t;

#if VAECF_KLEVEL == 2
using vf = __m512;
constexpr int W = 16;
constexpr int MR = 12, NV = 2;
constexpr int KC = 384, MC = 1 << 20, NT = 384;
constexpr bool BOUTER = false;
inline vf vzero() { return _mm512_setzero_ps(); }
inline vf vset1(float x) { return _mm512_set1_ps(x); }
inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
inline vf vloada(const float* p) { return _mm512_load_ps(p); }
inline void vstore(float* p, vf x) { _mm512_storeu_ps(p, x); }
inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
inline vf vsqrt(vf a) { return _mm512_sqrt_ps(a); }
inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
inline vf vmin(vf a, vf b) { return _mm512_min_ps(a, b); }
// 2^n for integral n in [-126, 127].
inline vf vpow2i(vf n) {
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23));
}
inline void prefetchL1(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
#elif VAECF_KLEVEL == 1
using vf = __m256;
constexpr int W = 8;
constexpr int MR = 6, NV = 2;
constexpr int KC = 320, MC = 1 << 20, NT = 256;
constexpr bool BOUTER = false;
inline vf vzero() { return _mm256_setzero_ps(); }
inline vf vset1(float x) { return _mm256_set1_ps(x); }
inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
inline vf vloada(const float* p) { return _mm256_load_ps(p); }
inline void vstore(float* p, vf x) { _mm256_storeu_ps(p, x); }
inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
inline vf vsqrt(vf a) { return _mm256_sqrt_ps(a); }
inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
inline vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
inline vf vpow2i(vf n) {
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23));
}
inline void prefetchL1(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
#elif defined(__SSE2__)
using vf = __m128;
constexpr int W = 4;
constexpr int MR = 6, NV = 2;
constexpr int KC = 256, MC = 96, NT = 256;
constexpr bool BOUTER = false;
inline vf vzero() { return _mm_setzero_ps(); }
inline vf vset1(float x) { return _mm_set1_ps(x); }
inline vf vload(const float* p) { return _mm_loadu_ps(p); }
inline vf vloada(const float* p) { return _mm_load_ps(p); }
inline void vstore(float* p, vf x) { _mm_storeu_ps(p, x); }
inline vf vfma(vf a, vf b, vf c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
inline vf vadd(vf a, vf b) { return _mm_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm_div_ps(a, b); }
inline vf vsqrt(vf a) { return _mm_sqrt_ps(a); }
inline vf vmax(vf a, vf b) { return _mm_max_ps(a, b); }
inline vf vmin(vf a, vf b) { return _mm_min_ps(a, b); }
inline vf vpow2i(vf n) {
    return _mm_castsi128_ps(
        _mm_slli_epi32(_mm_add_epi32(_mm_cvttps_epi32(n), _mm_set1_epi32(127)), 23));
}
inline void prefetchL1(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
#else
// Portable scalar fallback (non-x86 builds).
using vf = float;
constexpr int W = 1;
constexpr int MR = 4, NV = 4;
constexpr int KC = 256, MC = 64, NT = 128;
constexpr bool BOUTER = false;
inline vf vzero() { return 0.0f; }
inline vf vset1(float x) { return x; }
inline vf vload(const float* p) { return *p; }
inline vf vloada(const float* p) { return *p; }
inline void vstore(float* p, vf x) { *p = x; }
inline vf vfma(vf a, vf b, vf c) { return a * b + c; }
inline vf vadd(vf a, vf b) { return a + b; }
inline vf vsub(vf a, vf b) { return a - b; }
inline vf vmul(vf a, vf b) { return a * b; }
inline vf vdiv(vf a, vf b) { return a / b; }
inline vf vsqrt(vf a) { return __builtin_sqrtf(a); }
inline vf vmax(vf a, vf b) { return a > b ? a : b; }
inline vf vmin(vf a, vf b) { return a < b ? a : b; }
inline vf vpow2i(vf n) {
    const std::int32_t e = (static_cast<std::int32_t>(n) + 127) << 23;
    float f;
    __builtin_memcpy(&f, &e, sizeof f);
    return f;
}
inline void prefetchL1(const void*) {}
#endif

// exp(x) with Cephes' expf polynomial (relative error below 2 ulp on [-87, 88]); inputs are
// clamped to that range.
inline vf vexp(vf x) {
    x = vmin(vmax(x, vset1(-87.0f)), vset1(88.0f));
    const vf magic = vset1(12582912.0f);  // 1.5 * 2^23: rounds to the nearest integer
    const vf n = vsub(vfma(x, vset1(1.44269504088896341f), magic), magic);
    vf r = vsub(x, vmul(n, vset1(0.693359375f)));
    r = vsub(r, vmul(n, vset1(-2.12194440e-4f)));
    vf p = vset1(1.9875691500e-4f);
    p = vfma(p, r, vset1(1.3981999507e-3f));
    p = vfma(p, r, vset1(8.3334519073e-3f));
    p = vfma(p, r, vset1(4.1665795894e-2f));
    p = vfma(p, r, vset1(1.6666665459e-1f));
    p = vfma(p, r, vset1(5.0000001201e-1f));
    const vf y = vadd(vfma(vmul(p, r), r, r), vset1(1.0f));
    return vmul(y, vpow2i(n));
}

constexpr int NR = NV * W;

inline i64 minOf(i64 a, i64 b) { return a < b ? a : b; }

// ---------------------------------------------------------------------------------------
// Packing

// dst[k * P + i] = src[i * ld + k] for i < rows, 0 for rows <= i < P, k < kc: the packing
// of a panel whose source rows run along the depth (op(A) not transposed, op(B) transposed).
template <int P>
void gatherPanel(const float* src, i64 ld, i64 rows, i64 kc, float* dst) {
    i64 k = 0;
#if VAECF_KLEVEL >= 1
    // 8 x 8 transposes in AVX registers. Groups of 8 rows are stored from the last to the
    // first: a partial last group writes 8 lanes, and the surplus lands in the next depth
    // step's slots, which the lower groups (or the next block / the scalar tail) overwrite.
    constexpr int G = (P + 7) / 8;
    const __m256 zero = _mm256_setzero_ps();
    for (; k + 8 < kc || (P % 8 == 0 && k + 8 <= kc); k += 8) {
#pragma GCC unroll 4
        for (int g = G - 1; g >= 0; --g) {
            __m256 r[8];
#pragma GCC unroll 8
            for (int i = 0; i < 8; ++i) {
                const int row = g * 8 + i;
                r[i] = row < rows ? _mm256_loadu_ps(src + row * ld + k) : zero;
            }
            const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
            const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
            const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
            const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
            const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float* d = dst + k * P + g * 8;
            _mm256_storeu_ps(d + 0 * P, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + 1 * P, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * P, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * P, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * P, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * P, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * P, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * P, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
    }
#endif
    for (; k < kc; ++k) {
        for (int i = 0; i < P; ++i) dst[k * P + i] = i < rows ? src[i * ld + k] : 0.0f;
    }
}

void packA(bool trans, const float* A, i64 lda, i64 i0, i64 m, i64 k0, i64 kc, float* dst) {
    for (i64 p = 0; p < m; p += MR, dst += MR * kc) {
        const i64 rows = minOf(MR, m - p);
        if (trans) {
            // op(A)(i, k) = A[k * lda + i]: each depth step is a contiguous run of rows.
            const float* src = A + k0 * lda + (i0 + p);
            if (rows == MR) {
                for (i64 k = 0; k < kc; ++k, src += lda) {
#pragma GCC unroll 16
                    for (int i = 0; i < MR; ++i) dst[k * MR + i] = src[i];
                }
            } else {
                for (i64 k = 0; k < kc; ++k, src += lda) {
                    for (int i = 0; i < MR; ++i) dst[k * MR + i] = i < rows ? src[i] : 0.0f;
                }
            }
        } else {
            // op(A)(i, k) = A[i * lda + k]: rows run along the depth.
            gatherPanel<MR>(A + (i0 + p) * lda + k0, lda, rows, kc, dst);
        }
    }
}

void packB(bool trans, const float* B, i64 ldb, i64 k0, i64 kc, i64 j0, i64 n, float* dst) {
    for (i64 p = 0; p < n; p += NR, dst += NR * kc) {
        const i64 cols = minOf(NR, n - p);
        if (!trans) {
            // op(B)(k, j) = B[k * ldb + j]: contiguous runs of columns.
            const float* src = B + k0 * ldb + (j0 + p);
            if (cols == NR) {
                for (i64 k = 0; k < kc; ++k, src += ldb) {
#pragma GCC unroll 8
                    for (int v = 0; v < NV; ++v) vstore(dst + k * NR + v * W, vload(src + v * W));
                }
            } else {
                for (i64 k = 0; k < kc; ++k, src += ldb) {
                    for (int j = 0; j < NR; ++j) dst[k * NR + j] = j < cols ? src[j] : 0.0f;
                }
            }
        } else {
            // op(B)(k, j) = B[j * ldb + k]: stored rows run along the depth.
            gatherPanel<NR>(B + (j0 + p) * ldb + k0, ldb, cols, kc, dst);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Micro-kernel: an MR x NR tile of C from one A panel and one B panel.

struct Acc {
    vf r[MR][NV];
};

inline void accumulate(i64 kc, const float* __restrict a, const float* __restrict b, Acc& acc) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc.r[i][v] = vzero();
    }
#pragma GCC unroll 2
    for (i64 k = 0; k < kc; ++k) {
        vf bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) bv[v] = vloada(b + v * W);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
            const vf ai = vset1(a[i]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc.r[i][v] = vfma(ai, bv[v], acc.r[i][v]);
        }
        a += MR;
        b += NR;
    }
}

// C = alpha * acc + beta * C on a full tile at c (row stride ldc).
inline void storeTile(const Acc& acc, float* c, i64 ldc, float alpha, float beta) {
    const vf va = vset1(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) vstore(c + i * ldc + v * W, vmul(va, acc.r[i][v]));
        }
    } else if (beta == 1.0f) {
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) {
                float* p = c + i * ldc + v * W;
                vstore(p, vfma(va, acc.r[i][v], vload(p)));
            }
        }
    } else {
        const vf vb = vset1(beta);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) {
                float* p = c + i * ldc + v * W;
                vstore(p, vfma(va, acc.r[i][v], vmul(vb, vload(p))));
            }
        }
    }
}

// Edge tile: the same vector arithmetic on a copy, so every element of C sees exactly the
// same operations wherever the tile boundaries fall.
inline void storeEdge(const Acc& acc, float* c, i64 ldc, i64 rows, i64 cols, float alpha,
                      float beta) {
    alignas(64) float t[MR * NR];
    if (beta != 0.0f) {
        for (i64 i = 0; i < rows; ++i)
            for (i64 j = 0; j < cols; ++j) t[i * NR + j] = c[i * ldc + j];
    }
    storeTile(acc, t, NR, alpha, beta);
    for (i64 i = 0; i < rows; ++i)
        for (i64 j = 0; j < cols; ++j) c[i * ldc + j] = t[i * NR + j];
}

inline void microTile(i64 kc, const float* a, const float* b, float* c, i64 ldc, i64 rows,
                      i64 cols, float alpha, float beta) {
    Acc acc;
    if (rows == MR && cols == NR) {
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) prefetchL1(c + i * ldc);
    }
    accumulate(kc, a, b, acc);
    if (rows == MR && cols == NR)
        storeTile(acc, c, ldc, alpha, beta);
    else
        storeEdge(acc, c, ldc, rows, cols, alpha, beta);
}

// Macro-kernel. bOuter = false: for each A panel (kept in L1) sweep the B panels of the
// strip (from L2); true: for each B panel (kept in L1) sweep the A panels (from L2).
void macro(i64 m, i64 n, i64 kc, const float* Ap, const float* Bp, float* C, i64 ldc,
           float alpha, float beta, bool bOuter) {
    if (!bOuter) {
        for (i64 i = 0; i < m; i += MR) {
            const float* a = Ap + i * kc;
            const i64 rows = minOf(MR, m - i);
            for (i64 j = 0; j < n; j += NR) {
                microTile(kc, a, Bp + j * kc, C + i * ldc + j, ldc, rows, minOf(NR, n - j),
                          alpha, beta);
            }
        }
    } else {
        for (i64 j = 0; j < n; j += NR) {
            const float* b = Bp + j * kc;
            const i64 cols = minOf(NR, n - j);
            for (i64 i = 0; i < m; i += MR) {
                microTile(kc, Ap + i * kc, b, C + i * ldc + j, ldc, minOf(MR, m - i), cols,
                          alpha, beta);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Adam

inline void adamVec(float* w, float* m, float* v, const float* g, vf step, vf b1, vf c1, vf b2,
                    vf c2, vf eps, vf wd, vf isb) {
    const vf wv = vload(w);
    const vf gi = vfma(wd, wv, vload(g));
    const vf mv = vfma(b1, vload(m), vmul(c1, gi));
    const vf vv = vfma(b2, vload(v), vmul(c2, vmul(gi, gi)));
    const vf denom = vfma(vsqrt(vv), isb, eps);
    vstore(m, mv);
    vstore(v, vv);
    vstore(w, vsub(wv, vdiv(vmul(step, mv), denom)));
}

void adam(float* w, float* m, float* v, const float* g, i64 n, float stepSize, float b1,
          float b2, float eps, float weightDecay, float invSqrtBc2) {
    const vf vstep = vset1(stepSize), vb1 = vset1(b1), vc1 = vset1(1.0f - b1);
    const vf vb2 = vset1(b2), vc2 = vset1(1.0f - b2), veps = vset1(eps);
    const vf vwd = vset1(weightDecay), visb = vset1(invSqrtBc2);
    i64 i = 0;
    for (; i + W <= n; i += W)
        adamVec(w + i, m + i, v + i, g + i, vstep, vb1, vc1, vb2, vc2, veps, vwd, visb);
    if (i < n) {
        // Tail through the same vector code on a copy.
        alignas(64) float tw[W], tm[W], tv[W], tg[W];
        const i64 r = n - i;
        for (i64 j = 0; j < W; ++j) {
            const bool in = j < r;
            tw[j] = in ? w[i + j] : 0.0f;
            tm[j] = in ? m[i + j] : 0.0f;
            tv[j] = in ? v[i + j] : 0.0f;
            tg[j] = in ? g[i + j] : 0.0f;
        }
        adamVec(tw, tm, tv, tg, vstep, vb1, vc1, vb2, vc2, veps, vwd, visb);
        for (i64 j = 0; j < r; ++j) {
            w[i + j] = tw[j];
            m[i + j] = tm[j];
            v[i + j] = tv[j];
        }
    }
}

// `steps` consecutive Adam steps over n elements in registers: the gradient is zero in all
// but the last step, which uses g (nullptr: zero as well). Per step the arithmetic is that of
// adam() with a zero gradient vector, so a lazily caught-up row ends bitwise equal to one
// updated densely every step.
void adamSteps(float* w, float* m, float* v, const float* g, i64 n, const float* stepSizes,
               const float* invSqrtBc2s, i64 steps, float b1, float b2, float eps,
               float weightDecay) {
    const vf vb1 = vset1(b1), vc1 = vset1(1.0f - b1);
    const vf vb2 = vset1(b2), vc2 = vset1(1.0f - b2), veps = vset1(eps);
    const vf vwd = vset1(weightDecay);
    alignas(64) float tw[W], tm[W], tv[W], tg[W];
    for (i64 i = 0; i < n; i += W) {
        const i64 r = n - i < W ? n - i : W;
        vf wv, mv, vv, gv = vzero();
        if (r == W) {
            wv = vload(w + i);
            mv = vload(m + i);
            vv = vload(v + i);
            if (g) gv = vload(g + i);
        } else {
            for (i64 j = 0; j < W; ++j) {
                const bool in = j < r;
                tw[j] = in ? w[i + j] : 0.0f;
                tm[j] = in ? m[i + j] : 0.0f;
                tv[j] = in ? v[i + j] : 0.0f;
                tg[j] = in && g ? g[i + j] : 0.0f;
            }
            wv = vload(tw);
            mv = vload(tm);
            vv = vload(tv);
            gv = vload(tg);
        }
        // The state stays in registers across the steps; each step is adamVec's arithmetic.
        for (i64 s = 0; s < steps; ++s) {
            const vf gi = vfma(vwd, wv, s + 1 == steps ? gv : vzero());
            mv = vfma(vb1, mv, vmul(vc1, gi));
            vv = vfma(vb2, vv, vmul(vc2, vmul(gi, gi)));
            const vf denom = vfma(vsqrt(vv), vset1(invSqrtBc2s[s]), veps);
            wv = vsub(wv, vdiv(vmul(vset1(stepSizes[s]), mv), denom));
        }
        if (r == W) {
            vstore(w + i, wv);
            vstore(m + i, mv);
            vstore(v + i, vv);
        } else {
            vstore(tw, wv);
            vstore(tm, mv);
            vstore(tv, vv);
            for (i64 j = 0; j < r; ++j) {
                w[i + j] = tw[j];
                m[i + j] = tm[j];
                v[i + j] = tv[j];
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Row helpers of the softmax: max, exp in place with its sum, scaling.

float maxf(const float* x, i64 n) {
    alignas(64) float lanes[W];
    vf m = vset1(-__builtin_inff());
    i64 i = 0;
    for (; i + W <= n; i += W) m = vmax(m, vload(x + i));
    vstore(lanes, m);
    float r = -__builtin_inff();
    for (int k = 0; k < W; ++k) r = lanes[k] > r ? lanes[k] : r;
    for (; i < n; ++i) r = x[i] > r ? x[i] : r;
    return r;
}

double expShiftSum(float* x, i64 n, float shift) {
    const vf vs = vset1(shift);
    vf a0 = vzero(), a1 = vzero();
    i64 i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const vf e0 = vexp(vsub(vload(x + i), vs));
        const vf e1 = vexp(vsub(vload(x + i + W), vs));
        vstore(x + i, e0);
        vstore(x + i + W, e1);
        a0 = vadd(a0, e0);
        a1 = vadd(a1, e1);
    }
    alignas(64) float lanes[W], tail[W];
    vstore(lanes, vadd(a0, a1));
    double total = 0;
    for (int k = 0; k < W; ++k) total += lanes[k];
    for (; i < n; i += W) {
        const i64 r = n - i < W ? n - i : W;
        for (i64 j = 0; j < W; ++j) tail[j] = j < r ? x[i + j] : shift;
        vstore(tail, vexp(vsub(vload(tail), vs)));
        for (i64 j = 0; j < r; ++j) {
            x[i + j] = tail[j];
            total += tail[j];
        }
    }
    return total;
}

void scalef(float* x, i64 n, float f) {
    const vf vf_ = vset1(f);
    i64 i = 0;
    for (; i + W <= n; i += W) vstore(x + i, vmul(vload(x + i), vf_));
    for (; i < n; ++i) x[i] *= f;
}

constexpr IsaKernels kTable{
    VAECF_KNAME, MR, NR, KC, MC, NT, BOUTER, &packA, &packB, &macro, &adam, &adamSteps,
    &maxf, &expShiftSum, &scalef,
};

}  // namespace

const IsaKernels* table() { return &kTable; }

}  // namespace vaecf::core::kernels::VAECF_KNS
