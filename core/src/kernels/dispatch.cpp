// SPDX-License-Identifier: MIT
// PLACEHOLDER reference implementation, replaced by the optimized, dispatched kernels.
#include "kernels/kernels.h"

#include <cmath>
#include <vector>

namespace vaecf::core::kernels {

Isa activeIsa() { return Isa::Generic; }
const char* isaName(Isa isa) {
    switch (isa) {
        case Isa::Generic: return "generic";
        case Isa::Avx2: return "avx2";
        case Isa::Avx512: return "avx512";
    }
    return "?";
}
Isa forceIsa(Isa) { return Isa::Generic; }

void sgemm(bool transA, bool transB, std::int64_t M, std::int64_t N, std::int64_t K, float alpha,
           const float* A, std::int64_t lda, const float* B, std::int64_t ldb, float beta, float* C,
           std::int64_t ldc) {
    std::vector<float> row(static_cast<std::size_t>(N));
    for (std::int64_t i = 0; i < M; ++i) {
        std::fill(row.begin(), row.end(), 0.0f);
        for (std::int64_t k = 0; k < K; ++k) {
            const float a = transA ? A[k * lda + i] : A[i * lda + k];
            for (std::int64_t j = 0; j < N; ++j) row[j] += a * (transB ? B[j * ldb + k] : B[k * ldb + j]);
        }
        for (std::int64_t j = 0; j < N; ++j)
            C[i * ldc + j] = alpha * row[j] + (beta == 0.0f ? 0.0f : beta * C[i * ldc + j]);
    }
}

void adamStep(float* w, float* m, float* v, const float* g, std::int64_t n, float lr, float b1,
              float b2, float eps, float weightDecay, std::int64_t step) {
    const float bc1 = 1.0f - std::pow(b1, static_cast<float>(step));
    const float bc2 = 1.0f - std::pow(b2, static_cast<float>(step));
    for (std::int64_t i = 0; i < n; ++i) {
        const float gi = g[i] + weightDecay * w[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        w[i] -= lr * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + eps);
    }
}

}  // namespace vaecf::core::kernels
