// SPDX-License-Identifier: MIT
// Hot numeric kernels of the core. Each is compiled once per instruction set (generic
// x86-64, x86-64-v3 = AVX2+FMA, x86-64-v4 = AVX-512) and the best one the CPU supports is
// chosen at start-up, so one binary runs on any x86-64 machine at full speed.
// All matrices are row-major float32. Results never depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>

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

// The same product computed in column strips of C whose width depends only on N and the
// instruction set (sgemmStripWidth), never on the thread count. After strip [j0, j1) of C
// (all M rows) is final, onStrip(j0, j1) runs on the thread that computed it, while the
// strip is still in cache; strips run concurrently, each exactly once.
using StripFn = std::function<void(std::int64_t j0, std::int64_t j1)>;
void sgemmStrips(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K,
                 float alpha, const float* A, std::int64_t lda, const float* B, std::int64_t ldb,
                 float beta, float* C, std::int64_t ldc, const StripFn& onStrip);
std::int64_t sgemmStripWidth(std::int64_t N);

// Per-step constants of Adam at step t: stepSize = lr / (1 - b1^t), invSqrtBc2 =
// 1 / sqrt(1 - b2^t), rounded to float exactly as adamStep rounds them.
void adamConstants(float lr, float b1, float b2, std::int64_t step, float* stepSize,
                   float* invSqrtBc2);
// One Adam step over n parameters on the calling thread, with the constants of adamConstants
// (for use inside parallel loops, e.g. a sgemmStrips epilogue). Bitwise equal to adamStep.
void adamStepSerial(float* w, float* m, float* v, const float* g, std::int64_t n, float stepSize,
                    float invSqrtBc2, float b1, float b2, float eps, float weightDecay);
// `steps` consecutive Adam steps (constants per step in the arrays) whose gradient is zero
// but in the last step, which uses g (nullptr: zero too): the catch-up of a lazily updated
// row. Bitwise equal to the same steps done one by one with adamStep. Calling thread only.
void adamSteps(float* w, float* m, float* v, const float* g, std::int64_t n,
               const float* stepSizes, const float* invSqrtBc2s, std::int64_t steps, float b1,
               float b2, float eps, float weightDecay);

// Softmax row helpers (vectorized per ISA): the largest of n floats; x[i] = exp(x[i] - shift)
// in place returning Σ x[i] (exp to within 2 ulp; the sum's order is fixed per ISA); x *= f.
float rowMax(const float* x, std::int64_t n);
double expShiftSum(float* x, std::int64_t n, float shift);
void scale(float* x, std::int64_t n, float f);

// Flush denormals to zero (FTZ and DAZ) on the calling thread: tiny Adam moments and
// activations would otherwise slow some CPUs by orders of magnitude.
void setFlushDenormals();
// The calling thread's floating-point control word (MXCSR), to save and restore it.
unsigned floatControl();
void setFloatControl(unsigned csr);

// One Adam step over n parameters (Kingma & Ba, with PyTorch's bias correction):
//   g' = g + weightDecay * w
//   m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//   w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// `step` is t (>= 1). Parallel, deterministic.
void adamStep(float* w, float* m, float* v, const float* g, std::int64_t n, float lr, float b1,
              float b2, float eps, float weightDecay, std::int64_t step);

}  // namespace vaecf::core::kernels
