// SPDX-License-Identifier: MIT
// Internal interface between the ISA-neutral driver (dispatch.cpp: blocking, threading,
// buffers) and the per-ISA translation units (kernels_generic/avx2/avx512.cpp, all made
// from isa_kernels.inl). The ISA units hold only plain loops and intrinsics, no library
// templates, so no inline function compiled for one ISA can leak into another through the
// linker's choice among duplicate definitions.
#pragma once

#include <cstdint>

namespace vaecf::core::kernels {

// Packed layouts (both zero-padded to whole panels, so micro-kernels never see edges):
//   A block of m rows x kc: panels of mr rows; panel p holds element (p*mr + i, k) at
//     [p * mr * kc + k * mr + i].
//   B block of kc x n cols: panels of nr cols; panel p holds element (k, p*nr + j) at
//     [p * nr * kc + k * nr + j].
struct IsaKernels {
    const char* name;
    int mr;     // micro-tile rows
    int nr;     // micro-tile columns
    int kcMax;  // depth of a packed block (L1/L2 sized)
    int mcMax;  // rows of A per macro-kernel call
    int ntMax;  // columns of B per task strip
    bool bOuter;  // macro-kernel loop order (see macro())

    // Packs rows [i0, i0+m) x depth [k0, k0+kc) of op(A); A is stored K x M when trans.
    void (*packA)(bool trans, const float* A, std::int64_t lda, std::int64_t i0, std::int64_t m,
                  std::int64_t k0, std::int64_t kc, float* dst);
    // Packs depth [k0, k0+kc) x columns [j0, j0+n) of op(B); B is stored N x K when trans.
    void (*packB)(bool trans, const float* B, std::int64_t ldb, std::int64_t k0, std::int64_t kc,
                  std::int64_t j0, std::int64_t n, float* dst);
    // C[m x n] = alpha * Ap * Bp + beta * C over one packed depth block (beta 0: C is not
    // read; beta 1: plain accumulation).
    void (*macro)(std::int64_t m, std::int64_t n, std::int64_t kc, const float* Ap,
                  const float* Bp, float* C, std::int64_t ldc, float alpha, float beta,
                  bool bOuter);
    // One Adam step over n elements; stepSize = lr / (1 - b1^t), invSqrtBc2 =
    // 1 / sqrt(1 - b2^t).
    void (*adam)(float* w, float* m, float* v, const float* g, std::int64_t n, float stepSize,
                 float b1, float b2, float eps, float weightDecay, float invSqrtBc2);
    // `steps` Adam steps in registers, zero gradient but in the last step (g; null: zero).
    void (*adamSteps)(float* w, float* m, float* v, const float* g, std::int64_t n,
                      const float* stepSizes, const float* invSqrtBc2s, std::int64_t steps,
                      float b1, float b2, float eps, float weightDecay);
    float (*maxf)(const float* x, std::int64_t n);
    double (*expShiftSum)(float* x, std::int64_t n, float shift);
    void (*scalef)(float* x, std::int64_t n, float f);
};

namespace generic {
const IsaKernels* table();
}
namespace avx2 {
const IsaKernels* table();  // nullptr where not compiled
}
namespace avx512 {
const IsaKernels* table();  // nullptr where not compiled
}

}  // namespace vaecf::core::kernels
