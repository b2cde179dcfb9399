// SPDX-License-Identifier: MIT
// Building blocks shared by the neural models: dense layers with Adam state, sparse input
// batches, and the row-parallel elementwise passes. Private to the core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vaecf/csr.h"
#include "vaecf/model.h"
#include "vaecf/rng.h"

namespace vaecf::core::nn {

// A dense layer y = x W + b with W stored in x out (row-major), its gradient and Adam moments.
struct Dense {
    std::string name;
    std::int64_t in = 0, out = 0;
    std::vector<float> W, b, gW, gb, mW, vW, mb, vb;
    // Lazy Adam (sparse-input layers): the step each row of W is updated to. Empty when the
    // layer is updated densely.
    std::vector<std::int64_t> rowStep;
    void allocate(std::int64_t fanIn, std::int64_t fanOut);
    // Xavier-uniform weights, N(0, 0.001²) truncated at 2σ biases (the notebook's init).
    void initXavier(Rng& rng);
};

// Adam with PyTorch's semantics, step t >= 1; weightDecay applies to W only.
//
// Lazy rows: a sparse-input layer's W rows get a zero gradient at most steps. Instead of
// streaming all of W, m and v through memory every step, such rows are caught up (the skipped
// zero-gradient steps replayed in registers) just before they are read or updated; the
// result is bitwise the same as updating every row every step.
struct Adam {
    float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    void step(Dense& layer, std::int64_t t, float weightDecay) const;
    void stepBias(Dense& layer, std::int64_t t) const;
    // Brings `rows` (all rows when null) of a lazy layer up to step t with zero gradients.
    void catchUp(Dense& layer, const std::vector<std::int32_t>* rows, std::int64_t t,
                 float weightDecay) const;
    // Step t for the rows that have a gradient (catching them up first); other rows lag.
    void stepLazy(Dense& layer, const std::vector<std::int32_t>& rows, std::int64_t t,
                  float weightDecay) const;
private:
    // Constants of steps 1..upTo (stepSize, invSqrtBc2), cached.
    void ensure(std::int64_t upTo) const;
    mutable std::vector<float> m_stepSize, m_invSqrtBc2;  // index t - 1
};


// A batch of user rows as the first layer reads it: CSR of the rows with the input values
// (L2-normalized, dropped out and rescaled) and the raw values (the likelihood's x).
struct SparseBatch {
    std::int64_t rows = 0;
    std::vector<std::int64_t> ptr{0};
    std::vector<std::int32_t> idx;
    std::vector<float> input;  // normalized (and dropped-out) values
    std::vector<float> raw;    // the stored values of the rows
    std::vector<float> count;  // Σ raw per row (n_u)
};

// Rows `ids` of `m` (or rows [begin,end) when ids is empty). dropout > 0: each stored entry
// survives with probability 1 - dropout (stream mixSeed(seed, row position)) and is scaled by
// 1 / (1 - dropout). Rows with no entries give an all-zero input.
SparseBatch makeBatch(const CsrMatrix& m, const std::int64_t* ids, std::int64_t begin,
                      std::int64_t end, float dropout, std::uint64_t seed);

// out (B x layer.out) = batch.input · W + b.
void sparseForward(const SparseBatch& batch, const Dense& layer, float* out);
// Sparse gradient of the first layer: clears the gW rows listed in `touched` (the previous
// batch's items), then sets gW rows of this batch's items = batchᵀ · d (d: B x layer.out) and
// gb = colsum(d); `touched` receives this batch's items. All other gW rows stay zero.
void sparseBackward(const SparseBatch& batch, const float* d, Dense& layer,
                    std::vector<std::int32_t>& touched);

// out = x W + b  (x: B x in).
void denseForward(const float* x, std::int64_t B, const Dense& layer, float* out);
// gW = xᵀ d, gb = colsum(d), and, when dx is not null, dx = d Wᵀ.
void denseBackward(const float* x, const float* d, std::int64_t B, Dense& layer, float* dx);

void tanhInPlace(float* a, std::int64_t n);
// d *= 1 - h² (derivative of tanh given its output h).
void tanhBackward(const float* h, float* d, std::int64_t n);
// Column sums of a B x N row-major matrix into out (N), deterministic.
void colSum(const float* a, std::int64_t B, std::int64_t N, float* out);

// Tensor helpers for state().
Tensor toTensor(const std::vector<float>& v, std::int64_t rows, std::int64_t cols);

}  // namespace vaecf::core::nn
