// SPDX-License-Identifier: MIT
// ISA selection and the ISA-neutral GEMM / Adam drivers: blocking, packing buffers and
// oneTBB parallelism. The arithmetic lives in the per-ISA kernels (isa_kernels.inl).
//
// GEMM scheme (BLIS-like, for row-major C = alpha op(A) op(B) + beta C):
//  * depth K is cut into blocks of kc (balanced, fixed by K and the ISA only); every element
//    of C gets the blocks in order, each summed by the micro-kernel in a fixed order, so the
//    result never depends on the thread count or on how C is tiled among tasks;
//  * op(A) is packed once per "super-block" of depth into a shared buffer (all of it when
//    it is small, as for the Mult-VAE layers), in parallel;
//  * op(B) is packed into the same shared buffer when that super-block of it is small too
//    (long-K products such as dA = G W^T), and C is cut into 2-D tiles; otherwise each task
//    takes a strip of columns of C over all rows and packs its own strip of op(B) into a
//    thread-local buffer (wide products such as C = A W with 20 000 columns).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include "kernels/isa_kernels.h"
#include "kernels/kernels.h"

namespace vaecf::core::kernels {
namespace {

using i64 = std::int64_t;

// ---------------------------------------------------------------------------------------
// ISA selection

#if defined(__x86_64__) || defined(__i386__)
// The AVX2 kernels are compiled for x86-64-v3 (-mavx2 -mfma -mf16c -mbmi2): the compiler may
// use any of these, so all four are required. F16C through CPUID (clang's
// __builtin_cpu_supports does not know it).
bool hasX86V3() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    const bool f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
    return f16c && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("bmi2");
}
#endif

Isa bestSupported() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (avx512::table() && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && hasX86V3())
        return Isa::Avx512;
    if (avx2::table() && hasX86V3()) return Isa::Avx2;
#endif
    return Isa::Generic;
}

Isa clampIsa(Isa wanted) {
    static const Isa best = bestSupported();
    return static_cast<int>(wanted) < static_cast<int>(best) ? wanted : best;
}

Isa initialIsa() {
    Isa isa = clampIsa(Isa::Avx512);
    if (const char* env = std::getenv("VAECF_ISA")) {
        const std::string s = env;
        if (s == "generic") isa = clampIsa(Isa::Generic);
        else if (s == "avx2") isa = clampIsa(Isa::Avx2);
        else if (s == "avx512") isa = clampIsa(Isa::Avx512);
    }
    return isa;
}

std::atomic<int>& isaState() {
    static std::atomic<int> state{static_cast<int>(initialIsa())};
    return state;
}

const IsaKernels& kernelsFor(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return *avx512::table();
        case Isa::Avx2: return *avx2::table();
        case Isa::Generic: break;
    }
    return *generic::table();
}

// ---------------------------------------------------------------------------------------
// Packing buffers: 64-byte aligned, grow-only, reused across calls.

class Buffer {
public:
    Buffer() = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { std::free(m_data); }
    float* get(std::size_t n) {
        if (n > m_cap) {
            std::free(m_data);
            m_data = nullptr;
            m_cap = 0;
            const std::size_t cap = (n + 4095) & ~std::size_t{4095};
            m_data = static_cast<float*>(std::aligned_alloc(4096, cap * sizeof(float)));
            if (!m_data) throw std::bad_alloc();
            m_cap = cap;
        }
        return m_data;
    }

private:
    float* m_data = nullptr;
    std::size_t m_cap = 0;
};

// Per-task strip of op(B): used only inside one task body, which makes no oneTBB call, so a
// thread never needs two at once.
thread_local Buffer tlsStrip;

// Shared packed operands of a call, owned by the calling thread. A thread waiting in
// parallel_for may run a task of an outer parallel loop that itself calls sgemm: the busy
// flag sends such a nested call to a private buffer.
struct SharedBuffers {
    Buffer a, b;
    bool busy = false;
};
thread_local SharedBuffers tlsShared;

i64 ceilDiv(i64 a, i64 b) { return (a + b - 1) / b; }
i64 roundUp(i64 a, i64 b) { return ceilDiv(a, b) * b; }

// Splits [0, n) into about n / maxLen balanced parts that are multiples of `unit`.
i64 balancedPart(i64 n, i64 maxLen, i64 unit) {
    const i64 parts = std::max<i64>(1, ceilDiv(n, maxLen));
    return roundUp(ceilDiv(n, parts), unit);
}

template <class F>
void forEachTask(i64 n, bool parallel, const F& f) {
    if (!parallel || n == 1) {
        for (i64 i = 0; i < n; ++i) f(i);
        return;
    }
    tbb::parallel_for(
        tbb::blocked_range<i64>(0, n, 1),
        [&](const tbb::blocked_range<i64>& r) {
            for (i64 i = r.begin(); i != r.end(); ++i) f(i);
        },
        tbb::simple_partitioner());
}

void scaleC(i64 M, i64 N, float beta, float* C, i64 ldc) {
    for (i64 i = 0; i < M; ++i) {
        float* c = C + i * ldc;
        if (beta == 0.0f)
            std::fill(c, c + N, 0.0f);
        else if (beta != 1.0f)
            for (i64 j = 0; j < N; ++j) c[j] *= beta;
    }
}

// Shared-buffer budgets (floats).
constexpr i64 kSharedALimit = i64{1} << 20;  // 4 MiB of packed op(A) per super-block
constexpr i64 kSharedBLimit = i64{1} << 21;  // 8 MiB of packed op(B) per super-block
constexpr i64 kPackTaskFloats = i64{1} << 16;
constexpr double kSerialFlops = 4.0e6;

void gemmDriver(const IsaKernels& t, bool transA, bool transB, i64 M, i64 N, i64 K, float alpha,
                const float* A, i64 lda, const float* B, i64 ldb, float beta, float* C, i64 ldc,
                SharedBuffers& shared, const StripFn* onStrip = nullptr) {
    const i64 mr = t.mr, nr = t.nr;
    const i64 kc = ceilDiv(K, ceilDiv(K, t.kcMax));  // depth block, fixed by K and the ISA
    const i64 nkb = ceilDiv(K, kc);
    const i64 Mpad = roundUp(M, mr), Npad = roundUp(N, nr);
    const bool parallel = 2.0 * double(M) * double(N) * double(K) >= kSerialFlops &&
                          tbb::this_task_arena::max_concurrency() > 1;
    const int threads = parallel ? tbb::this_task_arena::max_concurrency() : 1;

    // Depth blocks per super-block. With a strip epilogue: all of K in one super-block and
    // full-height strips of a fixed width, so each task finishes its strip.
    const i64 kbPerSuper =
        onStrip ? nkb : std::clamp<i64>(kSharedALimit / (Mpad * kc), 1, nkb);
    const i64 superDepth = kbPerSuper * kc;
    const bool bShared = !onStrip && Npad * std::min(superDepth, K) <= kSharedBLimit;

    float* Apack = shared.a.get(std::size_t(Mpad * std::min(superDepth, K)));
    float* Bpack = bShared ? shared.b.get(std::size_t(Npad * std::min(superDepth, K))) : nullptr;

    // Tiling of C (any tiling gives the same bits; these only balance the work).
    i64 tileRows, tileCols;
    if (bShared) {
        tileCols = balancedPart(N, t.ntMax, nr);
        tileRows = balancedPart(M, std::max<i64>(mr, std::min<i64>(t.mcMax, 16 * mr)), mr);
        while (ceilDiv(M, tileRows) * ceilDiv(N, tileCols) < 4 * threads && tileRows > mr)
            tileRows = roundUp(tileRows / 2, mr);
        while (ceilDiv(M, tileRows) * ceilDiv(N, tileCols) < 4 * threads && tileCols > nr)
            tileCols = roundUp(tileCols / 2, nr);
    } else {
        tileRows = M;
        tileCols = balancedPart(N, t.ntMax, nr);
    }
    const i64 nRowTiles = ceilDiv(M, tileRows), nColTiles = ceilDiv(N, tileCols);

    for (i64 k0 = 0; k0 < K; k0 += superDepth) {
        const i64 k1 = std::min(K, k0 + superDepth);

        // Pack op(A) (and op(B) when shared) for this super-block.
        const i64 aPanels = Mpad / mr, bPanels = Npad / nr;
        const i64 aChunk = std::max<i64>(1, kPackTaskFloats / (mr * kc));
        const i64 bChunk = std::max<i64>(1, kPackTaskFloats / (nr * kc));
        const i64 aTasksPerBlock = ceilDiv(aPanels, aChunk);
        const i64 bTasksPerBlock = bShared ? ceilDiv(bPanels, bChunk) : 0;
        const i64 blocks = ceilDiv(k1 - k0, kc);
        forEachTask(blocks * (aTasksPerBlock + bTasksPerBlock), parallel, [&](i64 task) {
            const i64 q = task / (aTasksPerBlock + bTasksPerBlock);
            i64 r = task % (aTasksPerBlock + bTasksPerBlock);
            const i64 pc = k0 + q * kc;
            const i64 len = std::min(kc, K - pc);
            if (r < aTasksPerBlock) {
                const i64 p0 = r * aChunk, p1 = std::min(aPanels, p0 + aChunk);
                const i64 i0 = p0 * mr, i1 = std::min(M, p1 * mr);
                t.packA(transA, A, lda, i0, i1 - i0, pc, len, Apack + (pc - k0) * Mpad + i0 * len);
            } else {
                r -= aTasksPerBlock;
                const i64 p0 = r * bChunk, p1 = std::min(bPanels, p0 + bChunk);
                const i64 j0 = p0 * nr, j1 = std::min(N, p1 * nr);
                t.packB(transB, B, ldb, pc, len, j0, j1 - j0, Bpack + (pc - k0) * Npad + j0 * len);
            }
        });

        // Multiply.
        forEachTask(nRowTiles * nColTiles, parallel, [&](i64 task) {
            const i64 i0 = (task % nRowTiles) * tileRows, i1 = std::min(M, i0 + tileRows);
            const i64 j0 = (task / nRowTiles) * tileCols, j1 = std::min(N, j0 + tileCols);
            for (i64 pc = k0; pc < k1; pc += kc) {
                const i64 len = std::min(kc, K - pc);
                const float* bp;
                if (bShared) {
                    bp = Bpack + (pc - k0) * Npad + j0 * len;
                } else {
                    float* strip = tlsStrip.get(std::size_t(roundUp(j1 - j0, nr) * len));
                    t.packB(transB, B, ldb, pc, len, j0, j1 - j0, strip);
                    bp = strip;
                }
                const float b = pc == 0 ? beta : 1.0f;
                for (i64 ic = i0; ic < i1; ic += t.mcMax) {
                    const i64 ie = std::min(i1, ic + i64{t.mcMax});
                    t.macro(ie - ic, j1 - j0, len, Apack + (pc - k0) * Mpad + ic * len, bp,
                            C + ic * ldc + j0, ldc, alpha, b, t.bOuter);
                }
            }
            if (onStrip && k1 == K) (*onStrip)(j0, j1);
        });
    }
}

}  // namespace

Isa activeIsa() { return static_cast<Isa>(isaState().load(std::memory_order_relaxed)); }

const char* isaName(Isa isa) {
    switch (isa) {
        case Isa::Generic: return "generic";
        case Isa::Avx2: return "avx2";
        case Isa::Avx512: return "avx512";
    }
    return "?";
}

Isa forceIsa(Isa isa) {
    const Isa used = clampIsa(isa);
    isaState().store(static_cast<int>(used), std::memory_order_relaxed);
    return used;
}

void sgemm(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
           const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
           std::int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        scaleC(M, N, beta, C, ldc);
        return;
    }
    const IsaKernels& t = kernelsFor(activeIsa());
    if (!tlsShared.busy) {
        tlsShared.busy = true;
        try {
            gemmDriver(t, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, tlsShared);
        } catch (...) {
            tlsShared.busy = false;
            throw;
        }
        tlsShared.busy = false;
    } else {
        SharedBuffers own;
        gemmDriver(t, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, own);
    }
}

std::int64_t sgemmStripWidth(std::int64_t N) {
    const IsaKernels& t = kernelsFor(activeIsa());
    return std::max<i64>(1, balancedPart(std::max<i64>(N, 1), t.ntMax, t.nr));
}

void sgemmStrips(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K,
                 float alpha, const float* A, std::int64_t lda, const float* B, std::int64_t ldb,
                 float beta, float* C, std::int64_t ldc, const StripFn& onStrip) {
    if (M <= 0 || N <= 0) return;
    const IsaKernels& t = kernelsFor(activeIsa());
    const i64 width = sgemmStripWidth(N);
    const bool fits = roundUp(M, t.mr) * K <= 8 * kSharedALimit;
    if (K <= 0 || alpha == 0.0f || !fits || tlsShared.busy) {
        // Plain product, then the epilogue over the same fixed strips.
        sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        forEachTask(ceilDiv(N, width), tbb::this_task_arena::max_concurrency() > 1, [&](i64 s) {
            onStrip(s * width, std::min(N, (s + 1) * width));
        });
        return;
    }
    tlsShared.busy = true;
    try {
        gemmDriver(t, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, tlsShared,
                   &onStrip);
    } catch (...) {
        tlsShared.busy = false;
        throw;
    }
    tlsShared.busy = false;
}

void adamConstants(float lr, float b1, float b2, std::int64_t step, float* stepSize,
                   float* invSqrtBc2) {
    const double bc1 = 1.0 - std::pow(double(b1), double(step));
    const double bc2 = 1.0 - std::pow(double(b2), double(step));
    *stepSize = float(double(lr) / bc1);
    *invSqrtBc2 = float(1.0 / std::sqrt(bc2));
}

void adamStepSerial(float* w, float* m, float* v, const float* g, std::int64_t n, float stepSize,
                    float invSqrtBc2, float b1, float b2, float eps, float weightDecay) {
    if (n <= 0) return;
    kernelsFor(activeIsa()).adam(w, m, v, g, n, stepSize, b1, b2, eps, weightDecay, invSqrtBc2);
}

void adamSteps(float* w, float* m, float* v, const float* g, std::int64_t n,
               const float* stepSizes, const float* invSqrtBc2s, std::int64_t steps, float b1,
               float b2, float eps, float weightDecay) {
    if (n <= 0 || steps <= 0) return;
    kernelsFor(activeIsa()).adamSteps(w, m, v, g, n, stepSizes, invSqrtBc2s, steps, b1, b2, eps,
                                      weightDecay);
}

float rowMax(const float* x, std::int64_t n) { return kernelsFor(activeIsa()).maxf(x, n); }

double expShiftSum(float* x, std::int64_t n, float shift) {
    return kernelsFor(activeIsa()).expShiftSum(x, n, shift);
}

void scale(float* x, std::int64_t n, float f) { kernelsFor(activeIsa()).scalef(x, n, f); }

unsigned floatControl() {
    unsigned csr = 0;
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
#endif
    return csr;
}

void setFloatControl(unsigned csr) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("ldmxcsr %0" : : "m"(csr));
#else
    (void)csr;
#endif
}

void setFlushDenormals() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned csr;
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
    csr |= 0x8040u;  // FTZ (bit 15) and DAZ (bit 6)
    __asm__ volatile("ldmxcsr %0" : : "m"(csr));
#endif
}

void adamStep(float* w, float* m, float* v, const float* g, std::int64_t n, float lr, float b1,
              float b2, float eps, float weightDecay, std::int64_t step) {
    if (n <= 0) return;
    const IsaKernels& t = kernelsFor(activeIsa());
    float stepSize, invSqrtBc2;
    adamConstants(lr, b1, b2, step, &stepSize, &invSqrtBc2);
    // Fixed chunks (multiples of 64 floats), so every element takes the same path whatever
    // the thread count.
    constexpr i64 chunk = i64{1} << 15;
    const i64 chunks = ceilDiv(n, chunk);
    forEachTask(chunks, n >= 2 * chunk, [&](i64 c) {
        const i64 i0 = c * chunk, len = std::min(chunk, n - i0);
        t.adam(w + i0, m + i0, v + i0, g + i0, len, stepSize, b1, b2, eps, weightDecay,
               invSqrtBc2);
    });
}

}  // namespace vaecf::core::kernels
