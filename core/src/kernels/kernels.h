// SPDX-License-Identifier: MIT
// Hot numeric kernels of the core. Each is compiled once per instruction set (generic
// x86-64, x86-64-v3 = AVX2+FMA, x86-64-v4 = AVX-512) and the best one the CPU supports is
// chosen at start-up, so one binary runs on any x86-64 machine at full speed.
// All matrices are row-major float32. Results never depend on the thread count.
#pragma once

#include <cstdint>

namespace vaecf::core::kernels {

enum class Isa { Generic, Avx2, Avx512 };

// The instruction set in use: the best the CPU supports, unless VAECF_ISA (generic, avx2,
// avx512) or forceIsa() asked for a lower one.
Isa activeIsa();
const char* isaName(Isa isa);
// For tests and benchmarks: use `isa` from now on (clamped to what the CPU supports).
// Returns the one actually in use.
Isa forceIsa(Isa isa);

// C[M x N] = alpha * op(A) * op(B) + beta * C, with op(A) M x K and op(B) K x N.
// lda/ldb/ldc are row strides of the matrices as stored (A is K x M when transA).
// beta == 0 overwrites C (NaNs in C are not propagated). Parallel with oneTBB in the
// calling arena; every output element is computed by one thread in a fixed order, so the
// result is bitwise identical for any thread count.
void sgemm(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
           const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
           std::int64_t ldc);

// One Adam step over n parameters (Kingma & Ba, with PyTorch's bias correction):
//   g' = g + weightDecay * w
//   m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//   w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// `step` is t (>= 1). Parallel, deterministic.
void adamStep(float* w, float* m, float* v, const float* g, std::int64_t n, float lr, float b1,
              float b2, float eps, float weightDecay, std::int64_t step);

}  // namespace vaecf::core::kernels
